"""identity.emailVerified, with quirk emailVerifiedString (Cognito userinfo sends "true"/"false")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._quirk_stages import QuirkStages

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig


def email_verified_from_text(payload: dict[str, Any]) -> bool | None:
    """None when `email_verified` is absent; True for the JSON boolean true and also for the exact string
    "true"; False for anything else."""
    if "email_verified" not in payload:
        return None
    value = payload["email_verified"]
    return value is True or value == "true"


def email_verified_string(_parameters: Mapping[str, Any], _config: TrustedProxyAuthConfig) -> QuirkStages:
    """The plug (identity mapping)."""
    return QuirkStages(email_verified=email_verified_from_text)
