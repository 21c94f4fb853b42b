"""Stage `user_policy` (contract/checks.json)."""

from __future__ import annotations

from ._contract import setting_name
from ._detail_text import quoted
from .config import TrustedProxyAuthConfig
from .errors import TrustedProxyAuthError
from .identity import Identity


def check_user_policy(identity: Identity, config: TrustedProxyAuthConfig) -> None:
    """With allowed users or groups configured (settings allowedUsers, allowedGroups), the identity's subject, its email
    (unless `email_verified` is false) or one of its groups must be listed; raises TrustedProxyAuthError
    `forbidden_user`."""
    if not config.allowed_users and not config.allowed_groups:
        return
    # An email the token itself marks unverified never matches: anyone can claim an address at some IdPs.
    allowed_user = identity.subject in config.allowed_users or (
        identity.email is not None and identity.email_verified is not False and identity.email in config.allowed_users
    )
    allowed_group = any(group in config.allowed_groups for group in identity.groups)
    if not allowed_user and not allowed_group:
        raise TrustedProxyAuthError(
            "forbidden_user",
            detail=f"subject {quoted(identity.subject)} is in neither {setting_name('allowedUsers')} nor "
            f"{setting_name('allowedGroups')}",
        )
