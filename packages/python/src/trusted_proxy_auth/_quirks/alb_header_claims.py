"""Quirk albHeaderClaims: ALB puts `iss` and `exp` in the JOSE header; the payload (the IdP's userinfo
answer) may repeat them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._detail_text import quoted
from trusted_proxy_auth._quirk_stages import QuirkStages
from trusted_proxy_auth.errors import TrustedProxyAuthError

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig


def _is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def header_claim_type_problem(header: dict[str, Any]) -> str | None:
    """Stage claim_types: header `iss` a string and `exp` a finite number, when present; the detail of the first
    that is not, or None."""
    if "iss" in header and not isinstance(header["iss"], str):
        return 'header member "iss" is not a string'
    if "exp" in header and not _is_finite_number(header["exp"]):
        return 'header member "exp" is not a number'
    return None


def alb_issuer(header: dict[str, Any], payload: dict[str, Any]) -> str | None:
    """Header `iss` when present, else payload `iss`; None when neither is (missing_claim)."""
    issuer = header["iss"] if "iss" in header else payload.get("iss")
    return issuer if isinstance(issuer, str) else None


def alb_expiry(header: dict[str, Any], payload: dict[str, Any]) -> float | None:
    """The earlier of header and payload `exp` among those present; None when neither is."""
    present = [source["exp"] for source in (header, payload) if "exp" in source]
    return min(present) if present else None


def check_issuers_agree(header: dict[str, Any], payload: dict[str, Any]) -> None:
    """Stage claim_values: a header `iss` and a payload `iss` that disagree name two different issuers."""
    if "iss" in header and "iss" in payload and header["iss"] != payload["iss"]:
        raise TrustedProxyAuthError(
            "issuer_mismatch",
            detail=f"header iss {quoted(header['iss'])} differs from payload iss {quoted(payload['iss'])}",
        )


def alb_header_claims(_parameters: Mapping[str, Any], _config: TrustedProxyAuthConfig) -> QuirkStages:
    """The plug: header claim types (claim_types), issuer and expiry from header or payload (claim_presence), and
    the two issuers agreeing before the issuer check (claim_values)."""
    return QuirkStages(
        header_types=header_claim_type_problem,
        issuer=alb_issuer,
        expiry=alb_expiry,
        before_issuer=(check_issuers_agree,),
    )
