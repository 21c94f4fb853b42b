"""Quirk albHeaderClaims: ALB puts `iss` and `exp` in the JOSE header; the payload (the IdP's userinfo
answer) may repeat them."""

from __future__ import annotations

import math
from typing import Any

from trusted_proxy_auth._detail_text import quoted
from trusted_proxy_auth.errors import TrustedProxyAuthError


def _is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def alb_header_claim_types_valid(header: dict[str, Any]) -> bool:
    """Stage claim_types: header `iss` a string and `exp` a finite number, when present."""
    iss_valid = "iss" not in header or isinstance(header["iss"], str)
    return iss_valid and ("exp" not in header or _is_finite_number(header["exp"]))


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
