"""Quirk subjectOptional, stage claim_presence: Cloudflare Access service tokens carry `sub: ""` and name
the caller in another claim."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._quirk_stages import QuirkStages

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig


def subject_optional(parameters: Mapping[str, Any], _config: TrustedProxyAuthConfig) -> QuirkStages:
    """The plugs: the fallback claim (parameter `fallbackClaim`), when present, is a string (claim_types); when the
    subject claim is absent or empty, the fallback claim becomes the subject when it is a non-empty string, else
    missing_claim (claim_presence). Raises TypeError when the preset names no fallback claim (contract/presets.json
    gives it)."""
    fallback_claim = parameters.get("fallbackClaim")
    if not isinstance(fallback_claim, str):
        raise TypeError("quirk subjectOptional needs its fallbackClaim parameter (contract/presets.json)")

    def fallback_subject(payload: dict[str, Any]) -> str | None:
        fallback = payload.get(fallback_claim)
        return fallback if isinstance(fallback, str) and fallback != "" else None

    return QuirkStages(payload_strings=(fallback_claim,), subject=fallback_subject)
