"""Stages `claim_types`, `claim_presence`, `claim_time` and `claim_values`, with the plugs of the preset's
quirks (contract/presets.json `quirks`, `_quirk_stages`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._detail_text import number_text, quoted, quoted_list
from ._quirk_stages import QuirkStages
from .config import TrustedProxyAuthConfig
from .errors import TrustedProxyAuthError


@dataclass(frozen=True, slots=True)
class CheckedClaims:
    """What the claim stages found, every claim type-checked: what the identity is built from (a quirk's plug may
    take the subject, issuer, expiry or audience from elsewhere)."""

    subject: str
    issuer: str
    audience: tuple[str, ...]
    #: Seconds since the epoch.
    expires_at: float
    #: `iat` (seconds), when present.
    issued_at: float | None = None
    #: The email, name and groups claims (settings claimEmail, claimName, claimGroups), when present.
    email: str | None = None
    name: str | None = None
    groups: tuple[str, ...] = ()


#: What a check of one configuration is: (protected header, payload, now in seconds) -> the checked claims.
ClaimCheck = Callable[[dict[str, Any], dict[str, Any], float], CheckedClaims]

#: A claim the payload does not have (None is JSON null, which a type check refuses).
_MISSING: Any = object()


# The payload comes from json.loads: exactly str, list, int, float, bool, dict or None, never a subclass, so the
# type itself is compared (cheaper than isinstance, and bool, an int subclass, is then never a number).


def _is_string_or_strings(value: object) -> bool:
    kind = type(value)
    if kind is str:
        return True
    return kind is list and all(type(item) is str for item in value)  # type: ignore[attr-defined]


def _is_finite_number(value: object) -> bool:
    kind = type(value)
    return (kind is int or kind is float) and math.isfinite(value)  # type: ignore[arg-type]


_A_NUMBER = "a number"
_A_STRING = "a string"
_STRINGS = "a string or an array of strings"


def as_string_list(value: object) -> list[str]:
    """A claim that is a string or an array of strings, as a list; [] when absent."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _malformed(detail: str) -> TrustedProxyAuthError:
    return TrustedProxyAuthError("malformed_assertion", detail=detail)


def _not_a(name: str, wanted: str) -> TrustedProxyAuthError:
    return _malformed(f"claim {quoted(name)} is not {wanted}")


def claim_check_for(config: TrustedProxyAuthConfig, stages: QuirkStages) -> ClaimCheck:
    """The claim stages of contract/checks.json under `config`, with the plugs of its quirks (`stages`): built once
    per configuration (everything the configuration decides is settled here), then called for every verification,
    reading each claim once. The same design as the TypeScript core's `claimCheckFor`.

    The check raises TrustedProxyAuthError: malformed_assertion (claim_types: a present claim of the wrong JSON
    type, never coerced), missing_claim (claim_presence), expired / not_yet_valid (claim_time), issuer_mismatch /
    audience_mismatch / claim_mismatch (claim_values: exact string comparisons only), each stage in that order and,
    within a stage, the claims in the contract's order."""
    claim_subject, claim_email, claim_name, claim_groups = (
        config.claim_subject,
        config.claim_email,
        config.claim_name,
        config.claim_groups,
    )
    payload_strings = stages.payload_strings
    header_members = stages.required_header_strings
    header_types, issuer_plug, expiry_plug, subject_plug = (
        stages.header_types,
        stages.issuer,
        stages.expiry,
        stages.subject,
    )
    required = (
        *(() if stages.audience_optional else ("aud",)),
        *(("iat",) if config.max_age is not None else ()),
        *(rule.name for rule in config.required_claims),
    )

    def check_claims(header: dict[str, Any], payload: dict[str, Any], now: float) -> CheckedClaims:
        get = payload.get
        # claim_types, in the contract's order: exp, nbf, iat, iss, aud, then the mapped claims.
        exp = get("exp", _MISSING)
        if exp is not _MISSING and not _is_finite_number(exp):
            raise _not_a("exp", _A_NUMBER)
        nbf = get("nbf", _MISSING)
        if nbf is not _MISSING and not _is_finite_number(nbf):
            raise _not_a("nbf", _A_NUMBER)
        iat = get("iat", _MISSING)
        if iat is not _MISSING and not _is_finite_number(iat):
            raise _not_a("iat", _A_NUMBER)
        iss = get("iss", _MISSING)
        if iss is not _MISSING and type(iss) is not str:
            raise _not_a("iss", _A_STRING)
        aud = get("aud", _MISSING)
        if aud is not _MISSING and not _is_string_or_strings(aud):
            raise _not_a("aud", _STRINGS)
        subject_claim = get(claim_subject, _MISSING)
        if subject_claim is not _MISSING and type(subject_claim) is not str:
            raise _not_a(claim_subject, _A_STRING)
        email = get(claim_email, _MISSING)
        if email is not _MISSING and type(email) is not str:
            raise _not_a(claim_email, _A_STRING)
        name = get(claim_name, _MISSING)
        if name is not _MISSING and type(name) is not str:
            raise _not_a(claim_name, _A_STRING)
        groups = get(claim_groups, _MISSING)
        if groups is not _MISSING and not _is_string_or_strings(groups):
            raise _not_a(claim_groups, _STRINGS)
        for extra in payload_strings:
            value = get(extra, _MISSING)
            if value is not _MISSING and type(value) is not str:
                raise _not_a(extra, _A_STRING)
        for member in header_members:
            if member in header and not isinstance(header[member], str):
                raise _malformed(f"header member {quoted(member)} is not {_A_STRING}")
        if header_types is not None:
            problem = header_types(header)
            if problem is not None:
                raise _malformed(problem)
        # Every claim read above is now of its type when present: _MISSING stands for absent only.
        nbf = None if nbf is _MISSING else nbf
        iat = None if iat is _MISSING else iat

        # claim_presence: the first missing claim in contract order (errors.json `missing_claim` detail).
        issuer = (None if iss is _MISSING else iss) if issuer_plug is None else issuer_plug(header, payload)
        expires_at = (None if exp is _MISSING else exp) if expiry_plug is None else expiry_plug(header, payload)
        subject = subject_claim if subject_claim is not _MISSING and subject_claim != "" else None
        if subject is None and subject_plug is not None:
            subject = subject_plug(payload)
        if issuer is None:
            raise TrustedProxyAuthError("missing_claim", detail='claim "iss" is absent')
        if expires_at is None:
            raise TrustedProxyAuthError("missing_claim", detail='claim "exp" is absent')
        if subject is None:
            raise TrustedProxyAuthError("missing_claim", detail=f"claim {quoted(claim_subject)} is absent or empty")
        for required_name in required:
            if required_name not in payload:
                raise TrustedProxyAuthError("missing_claim", detail=f"claim {quoted(required_name)} is absent")
        for member in header_members:
            if member not in header:
                raise TrustedProxyAuthError("missing_claim", detail=f"header member {quoted(member)} is absent")

        _claim_times(expires_at, nbf, iat, config, now)
        audience = _check_values(header, payload, None if aud is _MISSING else aud, issuer, config, stages)
        return CheckedClaims(
            subject=subject,
            issuer=issuer,
            audience=audience,
            expires_at=expires_at,
            issued_at=iat,
            email=None if email is _MISSING else email,
            name=None if name is _MISSING else name,
            groups=() if groups is _MISSING else tuple(as_string_list(groups)),
        )

    return check_claims


def check_times(payload: Mapping[str, Any], expires_at: float, config: TrustedProxyAuthConfig, now: float) -> None:
    """Stage claim_time on a payload whose claim types were checked (a cache hit's); `now` and the claims are
    seconds since the epoch. Raises TrustedProxyAuthError `expired` or `not_yet_valid` (RFC 7519 sections 4.1.4,
    4.1.5)."""
    _claim_times(expires_at, payload.get("nbf"), payload.get("iat"), config, now)


def _claim_times(
    expires_at: float, nbf: float | None, iat: float | None, config: TrustedProxyAuthConfig, now: float
) -> None:
    tolerance = config.clock_tolerance
    n = number_text
    if expires_at <= now - tolerance:
        raise TrustedProxyAuthError(
            "expired", detail=f"exp {n(expires_at)} is not after now {n(now)} - tolerance {tolerance} s"
        )
    if nbf is not None and nbf > now + tolerance:
        raise TrustedProxyAuthError(
            "not_yet_valid", detail=f"nbf {n(nbf)} is after now {n(now)} + tolerance {tolerance} s"
        )
    if iat is not None and iat > now + tolerance:
        raise TrustedProxyAuthError(
            "not_yet_valid", detail=f"iat {n(iat)} is after now {n(now)} + tolerance {tolerance} s"
        )
    if config.max_age is not None and iat is not None and now - iat > config.max_age + tolerance:
        raise TrustedProxyAuthError(
            "expired",
            detail=f"iat {n(iat)} is older than max age {config.max_age} s + tolerance {tolerance} s at now {n(now)}",
        )


#: How far inside its edges `passing_times` keeps its window: far more than the rounding of `now - tolerance` and
#: the like at today's epoch seconds (about 1e-7 s), so inside it every comparison of `check_times` passes.
_WINDOW_MARGIN = 0.001
#: Past this many seconds (about the year 36,800) one float step nears the margin (it exceeds it from about 1e15),
#: so a window reaching there is left empty and `check_times` always runs.
_WINDOW_LIMIT = float(2**40)


def passing_times(payload: Mapping[str, Any], expires_at: float, config: TrustedProxyAuthConfig) -> tuple[float, float]:
    """`(earliest, latest)`: the times (seconds since the epoch) at which `check_times` surely passes, so a
    cache hit inside them need not run it; outside them it runs and decides. Empty (`(inf, -inf)`) when a
    claim is too large for a float or an edge lies beyond 2**40 s, where float rounding nears the margin."""
    tolerance = config.clock_tolerance
    nbf = payload.get("nbf")
    iat = payload.get("iat")
    try:
        earliest = -math.inf
        latest = float(expires_at) + tolerance
        for claim in (nbf, iat):
            if claim is not None:
                earliest = max(earliest, float(claim) - tolerance)
        if config.max_age is not None and iat is not None:
            latest = min(latest, float(iat) + config.max_age + tolerance)
    except OverflowError:
        return math.inf, -math.inf
    # An absent nbf and iat leave no lower edge to round (earliest stays -inf).
    if not -_WINDOW_LIMIT < latest < _WINDOW_LIMIT or not (earliest == -math.inf or earliest > -_WINDOW_LIMIT):
        return math.inf, -math.inf
    return earliest + _WINDOW_MARGIN, latest - _WINDOW_MARGIN


def _check_values(
    header: dict[str, Any],
    payload: dict[str, Any],
    aud: object,
    issuer: str,
    config: TrustedProxyAuthConfig,
    stages: QuirkStages,
) -> tuple[str, ...]:
    """Exact string comparisons only: no trimming, case folding or URL normalisation. Returns
    identity.audience."""
    for check in stages.before_issuer:
        check(header, payload)
    if issuer not in config.issuer:
        raise TrustedProxyAuthError(
            "issuer_mismatch", detail=f"iss {quoted(issuer)} is not one of {quoted_list(config.issuer)}"
        )
    if stages.audience is not None:
        audience = stages.audience(header, config.audience)
    else:
        audience = tuple(as_string_list(aud))
        if not any(aud in config.audience for aud in audience):
            raise TrustedProxyAuthError(
                "audience_mismatch", detail=f"aud {quoted_list(audience)} has none of {quoted_list(config.audience)}"
            )
    for rule in config.required_claims:
        if rule.value is None:
            continue
        value = payload.get(rule.name)
        matches = (isinstance(value, str) and value == rule.value) or (
            isinstance(value, list) and any(isinstance(item, str) and item == rule.value for item in value)
        )
        if not matches:
            raise TrustedProxyAuthError(
                "claim_mismatch", detail=f"claim {quoted(rule.name)} does not equal or contain {quoted(rule.value)}"
            )
    return audience


#: Compiled checks by configuration and its quirks' plugs (for check_claims; the verifier builds its own per issuer
#: entry); both objects are kept with their check so that an id is never reused while the entry lives.
_checks_by_config: dict[tuple[int, int], tuple[TrustedProxyAuthConfig, QuirkStages, ClaimCheck]] = {}
_MAX_REMEMBERED_CHECKS = 64


def check_claims(
    header: dict[str, Any],
    payload: dict[str, Any],
    config: TrustedProxyAuthConfig,
    stages: QuirkStages,
    now: float,
) -> CheckedClaims:
    """`claim_check_for(config, stages)(header, payload, now)`, the check remembered per configuration and plugs."""
    remembered = _checks_by_config.get((id(config), id(stages)))
    if remembered is not None and remembered[0] is config and remembered[1] is stages:
        return remembered[2](header, payload, now)
    check = claim_check_for(config, stages)
    if len(_checks_by_config) >= _MAX_REMEMBERED_CHECKS:
        _checks_by_config.clear()
    _checks_by_config[(id(config), id(stages))] = (config, stages, check)
    return check(header, payload, now)
