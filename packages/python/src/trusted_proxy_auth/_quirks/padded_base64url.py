"""Quirk paddedBase64url, stage syntax: AWS ALB pads its base64url segments with `=` (and signs the
padded text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._quirk_stages import QuirkStages

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig


def without_padding(segment: str) -> str | None:
    """The segment without the one or two `=` that bring its length to a multiple of 4 (still to be checked
    as canonical base64url), or None when the padding is wrong: three `=`, padding a segment that needs
    none, or too little."""
    unpadded = segment.rstrip("=")
    padding = len(segment) - len(unpadded)
    if padding == 0:
        return segment
    needed = -len(unpadded) % 4
    return unpadded if padding in (1, 2) and padding == needed else None


def padded_base64url(_parameters: Mapping[str, Any], _config: TrustedProxyAuthConfig) -> QuirkStages:
    """The plug: segments are decoded without their padding (the signing input keeps it)."""
    return QuirkStages(segment=without_padding)
