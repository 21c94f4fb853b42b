"""Quirk kidOptionalTryAll, stage key_lookup (Teleport): assertions may carry no `kid`; such an assertion is
tried against every key of the set, and the set is refetched once when none verifies it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._quirk_stages import QuirkStages

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig


def kid_optional_try_all(_parameters: Mapping[str, Any], _config: TrustedProxyAuthConfig) -> QuirkStages:
    """The plug."""
    return QuirkStages(kidless_tries_every_key=True)
