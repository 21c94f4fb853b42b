"""Quirk albClientHeader, stage claim_values: ALB assertions carry no `aud`; the JOSE header `client` (the
OIDC client id of the listener rule) binds the assertion to this application instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._detail_text import quoted, quoted_list
from trusted_proxy_auth._quirk_stages import QuirkStages
from trusted_proxy_auth.errors import TrustedProxyAuthError

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig


def check_client_audience(header: dict[str, Any], audiences: tuple[str, ...]) -> tuple[str, ...]:
    """Types and presence were checked before. Returns identity.audience; raises TrustedProxyAuthError
    `audience_mismatch` when `client` is none of the configured audiences."""
    client: str = header["client"]
    if client not in audiences:
        raise TrustedProxyAuthError(
            "audience_mismatch",
            detail=f'header member "client" {quoted(client)} is not one of {quoted_list(audiences)}',
        )
    return (client,)


def alb_client_header(_parameters: Mapping[str, Any], _config: TrustedProxyAuthConfig) -> QuirkStages:
    """The plug: header `client` a string (claim_types), present (claim_presence), and the audience (claim_values)."""
    return QuirkStages(required_header_strings=("client",), audience=check_client_audience)
