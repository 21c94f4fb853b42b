"""Quirk noAudClaim, stage claim_presence (AWS ALB): the payload has no `aud`, so `aud` is not required. A present
`aud` keeps its type rule and is otherwise ignored: the quirk it requires (albClientHeader) binds the audience."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._quirk_stages import QuirkStages

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig


def no_aud_claim(_parameters: Mapping[str, Any], _config: TrustedProxyAuthConfig) -> QuirkStages:
    """The plug."""
    return QuirkStages(audience_optional=True)
