"""Every quirk of contract/presets.json by its contract name, with the plugs it puts into the stages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._contract import presets_contract
from trusted_proxy_auth._quirk_stages import QuirkStages, combine_quirk_stages

from .alb_client_header import alb_client_header
from .alb_header_claims import alb_header_claims
from .alb_signer_header import alb_signer_header
from .email_verified_string import email_verified_string
from .kid_optional_try_all import kid_optional_try_all
from .kid_uuid import kid_uuid
from .no_aud_claim import no_aud_claim
from .padded_base64url import padded_base64url
from .subject_optional import subject_optional

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig

QuirkPlugs = Callable[[Mapping[str, Any], "TrustedProxyAuthConfig"], QuirkStages]


def _no_plugs(_parameters: Mapping[str, Any], _config: TrustedProxyAuthConfig) -> QuirkStages:
    """sharedSecretHS256 decides the key source and the algorithm list when the configuration is loaded
    (`_presets`, `config`); the stages then run unchanged."""
    return QuirkStages()


QUIRK_PLUGS: Mapping[str, QuirkPlugs] = {
    "subjectOptional": subject_optional,
    "paddedBase64url": padded_base64url,
    "kidUuid": kid_uuid,
    "albSignerHeader": alb_signer_header,
    "albClientHeader": alb_client_header,
    "albHeaderClaims": alb_header_claims,
    "noAudClaim": no_aud_claim,
    "emailVerifiedString": email_verified_string,
    "kidOptionalTryAll": kid_optional_try_all,
    "sharedSecretHS256": _no_plugs,
}


def quirk_stages_for(config: TrustedProxyAuthConfig) -> QuirkStages:
    """The stages' plugs for the quirks `config`'s preset switches on (`config.preset_quirks`), combined in the
    contract's order of its quirks (checks before the issuer run in that order).

    Raises TypeError for a quirk this library has no plugs for (a contract newer than the code)."""
    switched_on = config.preset_quirks
    for name in switched_on:
        if name not in QUIRK_PLUGS:
            raise TypeError(f"quirk {name} has no plugs in this library")
    ordered = [name for name in presets_contract()["quirks"] if name in switched_on]
    return combine_quirk_stages([(name, QUIRK_PLUGS[name](switched_on[name], config)) for name in ordered])
