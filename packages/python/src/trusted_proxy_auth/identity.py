"""The verified identity every integration exposes (contract/identity.schema.json)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .claims import CheckedClaims


@dataclass(frozen=True)
class Identity:
    """Who the proxy says the user is, after every check passed.

    `subject` is the stable user id (scoped by `issuer`); `email` is exactly as signed (never case-folded
    or normalised), so never link accounts on it unless `email_verified` is true.

    Immutable and hashable, so it can be a dict key or cached: `claims` is a read-only view
    (`types.MappingProxyType`) of a private deep copy of the verified payload, and it takes no part in the
    hash (it is still compared by `==`).
    """

    subject: str
    email: str | None
    email_verified: bool | None
    name: str | None
    groups: tuple[str, ...]
    issuer: str
    audience: tuple[str, ...]
    issued_at: float | None
    expires_at: float
    claims: Mapping[str, Any] = field(repr=False, hash=False)

    def __post_init__(self) -> None:
        # A frozen dataclass only stops rebinding: without this a caller could still edit the claims in place.
        # A payload the verifier has just parsed is referenced by nothing else, so copying it would only cost
        # time (about a tenth of a verification); anything else passed in is copied.
        claims = self.claims
        owned = claims if type(claims) is _ParsedPayload else copy.deepcopy(dict(claims))
        object.__setattr__(self, "claims", MappingProxyType(owned))

    def to_dict(self) -> dict[str, Any]:
        """Exactly the camelCase JSON object of contract/identity.schema.json."""
        return {
            "subject": self.subject,
            "email": self.email,
            "emailVerified": self.email_verified,
            "name": self.name,
            "groups": list(self.groups),
            "issuer": self.issuer,
            "audience": list(self.audience),
            "issuedAt": self.issued_at,
            "expiresAt": self.expires_at,
            "claims": copy.deepcopy(dict(self.claims)),
        }


class _ParsedPayload(dict[str, Any]):
    """A verified payload that only the Identity built from it holds (see Identity.__post_init__)."""

    __slots__ = ()


def map_identity(
    payload: dict[str, Any],
    checked: CheckedClaims,
    *,
    email_verified: Callable[[dict[str, Any]], bool | None] | None = None,
) -> Identity:
    """Maps verified claims to the identity (checks.json `identityMapping`) from what the claim stages read and
    checked (`claims.claim_check_for`), so no claim is read twice. `email_verified` is a quirk's mapping of
    `email_verified` (by default None when absent, True only for the JSON boolean true)."""
    return Identity(
        subject=checked.subject,
        email=checked.email,
        email_verified=_email_verified(payload) if email_verified is None else email_verified(payload),
        name=checked.name,
        groups=checked.groups,
        issuer=checked.issuer,
        audience=checked.audience,
        issued_at=checked.issued_at,
        expires_at=checked.expires_at,
        # A shallow copy: the nested values are the parser's and nobody else's.
        claims=_ParsedPayload(payload),
    )


def _email_verified(payload: dict[str, Any]) -> bool | None:
    return payload["email_verified"] is True if "email_verified" in payload else None
