"""Quirk albClientHeader, stage claim_values: ALB assertions carry no `aud`; the JOSE header `client` (the
OIDC client id of the listener rule) binds the assertion to this application instead."""

from __future__ import annotations

from typing import Any

from trusted_proxy_auth._detail_text import quoted, quoted_list
from trusted_proxy_auth.errors import TrustedProxyAuthError


def check_client_audience(header: dict[str, Any], audiences: tuple[str, ...]) -> tuple[str, ...]:
    """Types and presence were checked before. Returns identity.audience."""
    client: str = header["client"]
    if client not in audiences:
        raise TrustedProxyAuthError(
            "audience_mismatch",
            detail=f'header member "client" {quoted(client)} is not one of {quoted_list(audiences)}',
        )
    return (client,)
