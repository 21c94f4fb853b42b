"""Quirk kidUuid, stage key_lookup: the kid goes into a key URL, so nothing but a UUID (hex digits and
`-`) may reach it. Checked before any cache lookup or fetch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._quirk_stages import QuirkStages

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig

_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}", re.ASCII)


def is_uuid_kid(kid: str | None) -> bool:
    return kid is not None and _UUID.fullmatch(kid) is not None


def kid_uuid(_parameters: Mapping[str, Any], _config: TrustedProxyAuthConfig) -> QuirkStages:
    """The plug: any other kid (or none) is unknown_key before any key is looked up."""
    return QuirkStages(kid_accepted=is_uuid_kid)
