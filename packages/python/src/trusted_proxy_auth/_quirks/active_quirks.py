"""The quirks a configuration switches on, in the form the checks read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig


@dataclass(frozen=True)
class ActiveQuirks:
    #: subjectOptional: the claim that becomes the subject when the subject claim is absent or empty.
    subject_fallback_claim: str | None = None
    padded_base64url: bool = False
    kid_uuid: bool = False
    #: albSignerHeader: the load balancer ARN the `signer` header must equal.
    alb_signer: str | None = None
    alb_client_header: bool = False
    alb_header_claims: bool = False
    no_aud_claim: bool = False
    email_verified_string: bool = False
    kid_optional_try_all: bool = False
    shared_secret_hs256: bool = False


#: No quirk at all: the plain rules of contract/checks.json.
NO_QUIRKS = ActiveQuirks()


def active_quirks(config: TrustedProxyAuthConfig) -> ActiveQuirks:
    quirks = config.preset_quirks
    fallback_claim = quirks.get("subjectOptional", {}).get("fallbackClaim")
    return ActiveQuirks(
        subject_fallback_claim=fallback_claim
        if "subjectOptional" in quirks and isinstance(fallback_claim, str)
        else None,
        padded_base64url="paddedBase64url" in quirks,
        kid_uuid="kidUuid" in quirks,
        alb_signer=config.aws_alb_arn if "albSignerHeader" in quirks else None,
        alb_client_header="albClientHeader" in quirks,
        alb_header_claims="albHeaderClaims" in quirks,
        no_aud_claim="noAudClaim" in quirks,
        email_verified_string="emailVerifiedString" in quirks,
        kid_optional_try_all="kidOptionalTryAll" in quirks,
        shared_secret_hs256="sharedSecretHS256" in quirks,
    )
