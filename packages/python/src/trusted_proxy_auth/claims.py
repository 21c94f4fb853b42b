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


@dataclass(frozen=True)
class CheckedClaims:
    """What the identity is built from once every check passed (a quirk's plug may take it from elsewhere)."""

    subject: str
    issuer: str
    audience: tuple[str, ...]
    expires_at: float


# The payload comes from json.loads: exactly str, list, int, float, bool, dict or None, never a subclass, so the
# type itself is compared (cheaper than isinstance, and bool, an int subclass, is then never a number).


def _is_string(value: object) -> bool:
    return type(value) is str


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


@dataclass(frozen=True, slots=True)
class _ClaimRules:
    """What the claim stages check under one configuration (its quirks' plugs follow from it)."""

    #: (claim, type check, what the detail calls the wanted type)
    types: tuple[tuple[str, Callable[[object], bool], str], ...]
    #: Header members that must be strings when present, and present (preset aws-alb).
    header_members: tuple[str, ...]
    #: Claims that must be present besides iss, exp and the subject, in contract order.
    required: tuple[str, ...]


#: Rules by configuration and its quirks' plugs, built once (every verification reads them); both objects are kept
#: with their rules so that an id is never reused for another configuration while the entry lives.
_rules_by_config: dict[tuple[int, int], tuple[TrustedProxyAuthConfig, QuirkStages, _ClaimRules]] = {}
_MAX_REMEMBERED_RULES = 64


def _rules_for(config: TrustedProxyAuthConfig, stages: QuirkStages) -> _ClaimRules:
    remembered = _rules_by_config.get((id(config), id(stages)))
    if remembered is not None and remembered[0] is config and remembered[1] is stages:
        return remembered[2]
    types: list[tuple[str, Callable[[object], bool], str]] = [
        ("exp", _is_finite_number, _A_NUMBER),
        ("nbf", _is_finite_number, _A_NUMBER),
        ("iat", _is_finite_number, _A_NUMBER),
        ("iss", _is_string, _A_STRING),
        ("aud", _is_string_or_strings, _STRINGS),
        (config.claim_subject, _is_string, _A_STRING),
        (config.claim_email, _is_string, _A_STRING),
        (config.claim_name, _is_string, _A_STRING),
        (config.claim_groups, _is_string_or_strings, _STRINGS),
    ]
    types.extend((name, _is_string, _A_STRING) for name in stages.payload_strings)
    rules = _ClaimRules(
        types=tuple(types),
        header_members=stages.required_header_strings,
        required=(
            *(() if stages.audience_optional else ("aud",)),
            *(("iat",) if config.max_age is not None else ()),
            *(rule.name for rule in config.required_claims),
        ),
    )
    if len(_rules_by_config) >= _MAX_REMEMBERED_RULES:
        _rules_by_config.clear()
    _rules_by_config[(id(config), id(stages))] = (config, stages, rules)
    return rules


def _check_types(header: dict[str, Any], payload: dict[str, Any], rules: _ClaimRules, stages: QuirkStages) -> None:
    """A present claim of the wrong JSON type is malformed, never coerced."""
    for name, valid, wanted in rules.types:
        if name in payload and not valid(payload[name]):
            raise _malformed(f"claim {quoted(name)} is not {wanted}")
    for name in rules.header_members:
        if name in header and not isinstance(header[name], str):
            raise _malformed(f"header member {quoted(name)} is not {_A_STRING}")
    if stages.header_types is not None:
        problem = stages.header_types(header)
        if problem is not None:
            raise _malformed(problem)


def _subject(payload: dict[str, Any], config: TrustedProxyAuthConfig, stages: QuirkStages) -> str | None:
    subject = payload.get(config.claim_subject)
    if isinstance(subject, str) and subject != "":
        return subject
    return None if stages.subject is None else stages.subject(payload)


def _check_presence(
    header: dict[str, Any],
    payload: dict[str, Any],
    config: TrustedProxyAuthConfig,
    rules: _ClaimRules,
    stages: QuirkStages,
) -> tuple[str, str, float]:
    """Returns (subject, issuer, expiry)."""
    issuer = payload.get("iss") if stages.issuer is None else stages.issuer(header, payload)
    expires_at = payload.get("exp") if stages.expiry is None else stages.expiry(header, payload)
    subject = _subject(payload, config, stages)
    # The first missing claim in contract order (errors.json `missing_claim` detail).
    if issuer is None:
        raise TrustedProxyAuthError("missing_claim", detail='claim "iss" is absent')
    if expires_at is None:
        raise TrustedProxyAuthError("missing_claim", detail='claim "exp" is absent')
    if subject is None:
        raise TrustedProxyAuthError("missing_claim", detail=f"claim {quoted(config.claim_subject)} is absent or empty")
    for name in rules.required:
        if name not in payload:
            raise TrustedProxyAuthError("missing_claim", detail=f"claim {quoted(name)} is absent")
    for name in rules.header_members:
        if name not in header:
            raise TrustedProxyAuthError("missing_claim", detail=f"header member {quoted(name)} is absent")
    return subject, issuer, expires_at


def check_times(payload: Mapping[str, Any], expires_at: float, config: TrustedProxyAuthConfig, now: float) -> None:
    """`now` and the claims are seconds since the epoch."""
    tolerance = config.clock_tolerance
    nbf = payload.get("nbf")
    iat = payload.get("iat")
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
        audience = tuple(as_string_list(payload["aud"]))
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


def check_claims(
    header: dict[str, Any],
    payload: dict[str, Any],
    config: TrustedProxyAuthConfig,
    stages: QuirkStages,
    now: float,
) -> CheckedClaims:
    """Stages claim_types, claim_presence, claim_time and claim_values, in that order, on the verified
    protected header and payload, with the plugs of the configuration's quirks (`stages`).

    Raises TrustedProxyAuthError: malformed_assertion, missing_claim, expired / not_yet_valid,
    issuer_mismatch / audience_mismatch / claim_mismatch (contract/checks.json)."""
    rules = _rules_for(config, stages)
    _check_types(header, payload, rules, stages)
    subject, issuer, expires_at = _check_presence(header, payload, config, rules, stages)
    check_times(payload, expires_at, config, now)
    audience = _check_values(header, payload, issuer, config, stages)
    return CheckedClaims(subject=subject, issuer=issuer, audience=audience, expires_at=expires_at)
