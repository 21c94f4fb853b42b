"""Trying candidate keys on a signature, in order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from trusted_proxy_auth.errors import TrustedProxyAuthError

if TYPE_CHECKING:
    from trusted_proxy_auth._compact_jws import ParsedCompactJws
    from trusted_proxy_auth._key_set import KeyMember

#: One candidate verified, none was usable, or usable ones all failed.
CandidateOutcome = Literal["verified", "no_candidate", "invalid_signature"]


def try_candidates(jws: ParsedCompactJws, alg: str, candidates: Iterable[KeyMember]) -> CandidateOutcome:
    tried = False
    for member in candidates:
        tried = True
        if member.verifies(alg, jws.signing_input, jws.signature):
            return "verified"
    return "invalid_signature" if tried else "no_candidate"


def raise_unless_verified(outcome: CandidateOutcome) -> None:
    if outcome == "no_candidate":
        raise TrustedProxyAuthError("unknown_key")
    if outcome == "invalid_signature":
        raise TrustedProxyAuthError("invalid_signature")
