"""What the quirks of contract/presets.json plug into the named stages of contract/checks.json.

The stages call these plugs without knowing which proxy needs them: each quirk's module in `_quirks` builds
its plugs, and `_quirks.registry` (the only module that names the quirks) combines a configuration's. The same
design as the TypeScript core's quirk-stages.ts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class QuirkStages:
    """One quirk's plugs, or every plug of a configuration combined. A stage without a plug runs its plain rules."""

    #: syntax: the text the base64url check decodes, from a segment as received; None: malformed_assertion.
    segment: Callable[[str], str | None] | None = None
    #: key_lookup: False refuses the kid (unknown_key) before any key lookup, cache or fetch.
    kid_accepted: Callable[[str | None], bool] | None = None
    #: key_lookup: an assertion without `kid` may be verified by any key of the set (refetched once when none does).
    kidless_tries_every_key: bool = False
    #: claim_types: payload claims that must be strings when present (beyond the contract's own).
    payload_strings: tuple[str, ...] = ()
    #: claim_types: header members that must be strings when present; claim_presence: and must be present.
    required_header_strings: tuple[str, ...] = ()
    #: claim_types: the detail of a header member of the wrong type, or None (malformed_assertion).
    header_types: Callable[[JsonObject], str | None] | None = None
    #: claim_presence: where the issuer is read (default: payload `iss`); None: missing_claim.
    issuer: Callable[[JsonObject, JsonObject], str | None] | None = None
    #: claim_presence: where the expiry is read (default: payload `exp`); None: missing_claim.
    expiry: Callable[[JsonObject, JsonObject], float | None] | None = None
    #: claim_presence: the subject when the subject claim is absent or empty; None (the default): missing_claim.
    subject: Callable[[JsonObject], str | None] | None = None
    #: claim_presence: `aud` may be absent (the audience is bound by `audience` instead).
    audience_optional: bool = False
    #: claim_values: checks run before the issuer check, in the contract's order of the quirks; they raise
    #: the stage's error (issuer_mismatch).
    before_issuer: tuple[Callable[[JsonObject, JsonObject], None], ...] = ()
    #: claim_values: identity.audience from elsewhere than `aud`, given the configured audiences; raises
    #: audience_mismatch.
    audience: Callable[[JsonObject, tuple[str, ...]], tuple[str, ...]] | None = None
    #: identity mapping: identity.emailVerified from the payload (default: None when `email_verified` is absent,
    #: True only for the JSON boolean true).
    email_verified: Callable[[JsonObject], bool | None] | None = None


#: No quirk: the plain rules of contract/checks.json.
NO_QUIRK_STAGES = QuirkStages()

_JOINED = ("payload_strings", "required_header_strings", "before_issuer")
_EITHER = ("kidless_tries_every_key", "audience_optional")


def combine_quirk_stages(plugs: Sequence[tuple[str, QuirkStages]]) -> QuirkStages:
    """The plugs of several quirks as one, in the order given (the contract's order of its quirks): tuples are
    joined in that order, flags are on when any quirk sets them, and every other plug may come from one quirk only.

    Raises TypeError when two quirks plug the same single plug (a contract that combined them would need a rule)."""
    combined = NO_QUIRK_STAGES
    owners: dict[str, str] = {}
    for quirk, plug in plugs:
        changes: dict[str, Any] = {}
        for field in fields(QuirkStages):
            name = field.name
            value = getattr(plug, name)
            if name in _JOINED:
                changes[name] = getattr(combined, name) + value
            elif name in _EITHER:
                changes[name] = getattr(combined, name) or value
            elif value is not None:
                if name in owners:
                    raise TypeError(f"quirks {owners[name]} and {quirk} both plug {name}")
                owners[name] = quirk
                changes[name] = value
        combined = replace(combined, **changes)
    return combined
