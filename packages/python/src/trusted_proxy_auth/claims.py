"""Stages `claim_types`, `claim_presence`, `claim_time`, `claim_values` and `user_policy`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .config import TrustedProxyAuthConfig
from .errors import TrustedProxyAuthError
from .identity import Identity, as_string_list

_ABSENT = object()


def _is_string(value: object) -> bool:
    return isinstance(value, str)


def _is_string_or_strings(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(item, str) for item in value))


def _is_finite_number(value: object) -> bool:
    # bool is an int in Python but never a JSON number.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_types(payload: dict[str, Any], config: TrustedProxyAuthConfig) -> None:
    """A present claim of the wrong JSON type is malformed, never coerced."""
    rules: list[tuple[str, Callable[[object], bool]]] = [
        ("exp", _is_finite_number),
        ("nbf", _is_finite_number),
        ("iat", _is_finite_number),
        ("iss", _is_string),
        ("aud", _is_string_or_strings),
        (config.claim_subject, _is_string),
        (config.claim_email, _is_string),
        (config.claim_name, _is_string),
        (config.claim_groups, _is_string_or_strings),
    ]
    for name, valid in rules:
        if name in payload and not valid(payload[name]):
            raise TrustedProxyAuthError("malformed_assertion")


def _check_presence(payload: dict[str, Any], config: TrustedProxyAuthConfig) -> None:
    required = ["iss", "aud", "exp", *(["iat"] if config.max_age is not None else [])]
    required += [rule.name for rule in config.required_claims]
    subject = payload.get(config.claim_subject, _ABSENT)
    if any(name not in payload for name in required) or subject is _ABSENT or subject == "":
        raise TrustedProxyAuthError("missing_claim")


def _check_times(payload: dict[str, Any], config: TrustedProxyAuthConfig, now: float) -> None:
    """`now` and the claims are seconds since the epoch."""
    tolerance = config.clock_tolerance
    exp = payload["exp"]
    nbf = payload.get("nbf")
    iat = payload.get("iat")
    if exp <= now - tolerance:
        raise TrustedProxyAuthError("expired")
    if nbf is not None and nbf > now + tolerance:
        raise TrustedProxyAuthError("not_yet_valid")
    if iat is not None and iat > now + tolerance:
        raise TrustedProxyAuthError("not_yet_valid")
    if config.max_age is not None and iat is not None and now - iat > config.max_age + tolerance:
        raise TrustedProxyAuthError("expired")


def _check_values(payload: dict[str, Any], config: TrustedProxyAuthConfig) -> None:
    """Exact string comparisons only: no trimming, case folding or URL normalisation."""
    if payload["iss"] not in config.issuer:
        raise TrustedProxyAuthError("issuer_mismatch")
    if not any(aud in config.audience for aud in as_string_list(payload["aud"])):
        raise TrustedProxyAuthError("audience_mismatch")
    for rule in config.required_claims:
        if rule.value is None:
            continue
        value = payload.get(rule.name)
        matches = (isinstance(value, str) and value == rule.value) or (
            isinstance(value, list) and any(isinstance(item, str) and item == rule.value for item in value)
        )
        if not matches:
            raise TrustedProxyAuthError("claim_mismatch")


def check_claims(payload: dict[str, Any], config: TrustedProxyAuthConfig, now: float) -> None:
    _check_types(payload, config)
    _check_presence(payload, config)
    _check_times(payload, config, now)
    _check_values(payload, config)


def check_user_policy(identity: Identity, config: TrustedProxyAuthConfig) -> None:
    if not config.allowed_users and not config.allowed_groups:
        return
    # An email the token itself marks unverified never matches: anyone can claim an address at some IdPs.
    allowed_user = identity.subject in config.allowed_users or (
        identity.email is not None and identity.email_verified is not False and identity.email in config.allowed_users
    )
    allowed_group = any(group in config.allowed_groups for group in identity.groups)
    if not allowed_user and not allowed_group:
        raise TrustedProxyAuthError("forbidden_user")
