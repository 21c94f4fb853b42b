"""`check_enrollment`: the checks of contract/enrollment.json over one sans-I/O plan, with a sync and an async
driver (`_key_fetch.run_plan` / `arun_plan`, like the key store's).

Every check runs and reports (`not_run` only when what it needs is missing); enrollment is allowed only when
all pass. Details name the rule and the value's place, never the assertion or key material."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from trusted_proxy_auth._compact_jws import ParsedCompactJws, parse_compact_jws
from trusted_proxy_auth._contract import setting_name
from trusted_proxy_auth._detail_text import quoted, quoted_list
from trusted_proxy_auth._key_fetch import FetchDeadline, FetchFailure, FetchPlan, KeyRequest, arun_plan, run_plan
from trusted_proxy_auth._key_set import KeyMember, fits_algorithm, has_private_material, unusable_reason
from trusted_proxy_auth._key_sources.candidates import try_candidates
from trusted_proxy_auth._key_sources.key_source import (
    DiscoverySource,
    JwksSource,
    KidTemplateSource,
    SharedSecretSource,
)
from trusted_proxy_auth._key_sources.openid_discovery import MAX_DISCOVERY_DOCUMENT_BYTES, jwks_uri_from_discovery
from trusted_proxy_auth._key_store import MAX_JWKS_BYTES
from trusted_proxy_auth._url_rules import key_url_problem
from trusted_proxy_auth.claims import check_times
from trusted_proxy_auth.config import TrustedProxyAuthConfig, load_config_with_enrollment
from trusted_proxy_auth.errors import TrustedProxyAuthError

from .report import (
    CheckResult,
    EnrolledKey,
    EnrollmentCheckResult,
    EnrollmentProposal,
    EnrollmentReport,
    enrollment_checks,
)
from .thumbprint import jwk_thumbprint

_KEY_SET_ACCEPT = "application/jwk-set+json, application/json"
#: RFC 8725 section 3.10: keys named or carried by the token itself are never trusted.
EMBEDDED_KEY_MEMBERS = ("jwk", "jku", "x5u", "x5c")
_NOT_COMPACT = "the assertion is not a compact JWS (three base64url segments with JSON objects)"


@dataclass
class _Results:
    results: dict[str, tuple[CheckResult, str | None]] = field(default_factory=dict)

    def passed(self, check: str) -> None:
        self.results[check] = ("pass", None)

    def failed(self, check: str, detail: str) -> None:
        self.results[check] = ("fail", detail)

    def not_run(self, check: str, detail: str) -> None:
        self.results.setdefault(check, ("not_run", detail))

    def report_checks(self) -> tuple[EnrollmentCheckResult, ...]:
        checks = []
        for check_id, title in enrollment_checks():
            result, detail = self.results.get(check_id, ("not_run", None))
            checks.append(EnrollmentCheckResult(check_id, title, result, detail))
        return tuple(checks)


def _now_seconds() -> float:
    return time.time_ns() // 1_000_000 / 1000


def _key_set_location(config: TrustedProxyAuthConfig, parsed: ParsedCompactJws | None) -> tuple[str | None, str]:
    """The URL fetched first (the key set, or the discovery document) and why there is none."""
    source = config.key_source
    if isinstance(source, JwksSource):
        return source.url, ""
    if isinstance(source, DiscoverySource):
        return source.discovery_url, ""
    if isinstance(source, KidTemplateSource):
        kid = parsed.protected_header.get("kid") if parsed is not None else None
        if not isinstance(kid, str):
            return None, "keys are published one per kid and the assertion names no kid"
        return None, "keys published one per kid (preset aws-alb) are not enrolled by these checks yet"
    if isinstance(source, SharedSecretSource):
        return None, f"a shared secret is never enrolled ({setting_name('sharedSecret')})"
    return None, "the configuration names no key source"


def _key_set_members(body: bytes) -> list[dict[str, Any]]:
    """The members of a key set document; raises FetchFailure naming what is wrong with it."""
    try:
        document = json.loads(body.decode("utf-8-sig", errors="replace"), parse_constant=lambda _name: _not_json())
    except (ValueError, RecursionError):
        raise FetchFailure("invalid JSON") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
        raise FetchFailure("not a JSON Web Key Set")
    if any(has_private_material(key) for key in keys):
        raise FetchFailure("key set publishes private key material")
    return keys


def _not_json() -> Any:
    raise ValueError("not JSON")


def _enrolled_key(jwk: Mapping[str, Any]) -> EnrolledKey:
    kid, alg = jwk.get("kid"), jwk.get("alg")
    kty: Literal["RSA", "EC", "OKP"] = jwk["kty"]
    return EnrolledKey(
        kid if isinstance(kid, str) else None, kty, alg if isinstance(alg, str) else None, jwk_thumbprint(jwk)
    )


def _check_keys(
    members: list[dict[str, Any]], config: TrustedProxyAuthConfig, results: _Results
) -> list[dict[str, Any]]:
    usable = [
        jwk
        for jwk in members
        if unusable_reason(jwk) is None and any(fits_algorithm(jwk, alg) for alg in config.algorithms)
    ]
    if usable:
        results.passed("keys_usable")
    else:
        results.failed(
            "keys_usable",
            f"none of the {len(members)} keys is a usable public key for {quoted_list(config.algorithms)}",
        )
    return usable


def _check_header(parsed: ParsedCompactJws | None, results: _Results) -> None:
    if parsed is None:
        results.failed("no_embedded_keys", _NOT_COMPACT)
        return
    carried = [name for name in EMBEDDED_KEY_MEMBERS if name in parsed.protected_header]
    if carried:
        results.failed("no_embedded_keys", f"header member {quoted(carried[0])} is present")
    else:
        results.passed("no_embedded_keys")


def _check_signature(
    parsed: ParsedCompactJws | None,
    config: TrustedProxyAuthConfig,
    usable: list[dict[str, Any]] | None,
    results: _Results,
) -> None:
    if parsed is None:
        results.not_run("assertion_signature", _NOT_COMPACT)
        return
    if usable is None:
        results.not_run("assertion_signature", "no key set was obtained")
        return
    alg = parsed.protected_header.get("alg")
    if not isinstance(alg, str) or alg not in config.algorithms:
        shown = quoted(alg) if isinstance(alg, str) else "none"
        results.failed("assertion_signature", f"alg {shown} is not one of {quoted_list(config.algorithms)}")
        return
    kid = parsed.protected_header.get("kid")
    candidates = [KeyMember(jwk) for jwk in usable if fits_algorithm(jwk, alg)]
    if isinstance(kid, str) and any(member.kid == kid for member in candidates):
        candidates = [member for member in candidates if member.kid == kid]
    if try_candidates(parsed, alg, candidates) == "verified":
        results.passed("assertion_signature")
    else:
        key = "without kid" if not isinstance(kid, str) else f"with kid {quoted(kid)}"
        results.failed(
            "assertion_signature", f"no key of this key set verifies the signature {key} and alg {quoted(alg)}"
        )


def _check_claims(
    parsed: ParsedCompactJws | None, config: TrustedProxyAuthConfig, now: float, results: _Results
) -> None:
    if parsed is None:
        for check in ("issuer", "audience", "fresh"):
            results.not_run(check, _NOT_COMPACT)
        return
    claims = parsed.payload
    iss = claims.get("iss")
    if isinstance(iss, str) and iss in config.issuer:
        results.passed("issuer")
    else:
        shown = quoted(iss) if isinstance(iss, str) else "absent or not a string"
        results.failed("issuer", f"iss {shown} is not one of {quoted_list(config.issuer)}")
    aud = claims.get("aud")
    audiences = (
        [aud]
        if isinstance(aud, str)
        else [item for item in aud if isinstance(item, str)]
        if isinstance(aud, list)
        else []
    )
    if any(item in config.audience for item in audiences):
        results.passed("audience")
    else:
        shown = quoted_list(tuple(audiences)) if audiences else "absent"
        results.failed("audience", f"aud {shown} holds none of {quoted_list(config.audience)}")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        results.failed("fresh", 'claim "exp" is absent or not a number')
        return
    try:
        check_times(claims, float(exp), config, now)
    except TrustedProxyAuthError as error:
        results.failed("fresh", error.detail or error.message)
    else:
        results.passed("fresh")


def enrollment_plan(
    proposal: EnrollmentProposal, assertion: str, env: Mapping[str, str] | None, now: float | None
) -> FetchPlan[EnrollmentReport]:
    """The checks without I/O: yields each key request, is sent the response or thrown the FetchFailure."""
    results = _Results()
    token = assertion.strip()
    parsed = parse_compact_jws(token)
    decoded = None if parsed is None else {"header": dict(parsed.protected_header), "claims": dict(parsed.payload)}
    subject_claim: object = None
    issuer_claim = parsed.payload.get("iss") if parsed is not None else None
    _check_header(parsed, results)
    try:
        config: TrustedProxyAuthConfig | None = load_config_with_enrollment(env, proposal.settings)
    except TrustedProxyAuthError as error:
        config = None
        results.failed("configuration_valid", error.detail or error.message)
    else:
        results.passed("configuration_valid")
    key_set_url: str | None = None
    keys: tuple[EnrolledKey, ...] = ()
    if config is None:
        for check in (
            "key_url_secure",
            "keys_reachable",
            "keys_usable",
            "assertion_signature",
            "issuer",
            "audience",
            "fresh",
        ):
            results.not_run(check, "the proposed configuration is invalid")
    else:
        if parsed is not None:
            subject_claim = parsed.payload.get(config.claim_subject)
        usable: list[dict[str, Any]] | None = None
        url, missing = _key_set_location(config, parsed)
        if url is None:
            results.failed("key_url_secure", missing)
            results.not_run("keys_reachable", missing)
            results.not_run("keys_usable", missing)
        elif (problem := key_url_problem(url)) is not None:
            results.failed("key_url_secure", problem)
            results.not_run("keys_reachable", "the key set URL is refused")
            results.not_run("keys_usable", "the key set URL is refused")
        else:
            results.passed("key_url_secure")
            try:
                if isinstance(config.key_source, DiscoverySource):
                    request = KeyRequest(url, config.jwks_timeout, MAX_DISCOVERY_DOCUMENT_BYTES, "application/json")
                    document = yield request, FetchDeadline(request.timeout)
                    url = jwks_uri_from_discovery(document.body, config.key_source.issuer)
                request = KeyRequest(url, config.jwks_timeout, MAX_JWKS_BYTES, _KEY_SET_ACCEPT)
                response = yield request, FetchDeadline(request.timeout)
            except FetchFailure as failure:
                results.failed("keys_reachable", failure.reason)
                results.not_run("keys_usable", "the key set was not obtained")
            else:
                results.passed("keys_reachable")
                key_set_url = url
                try:
                    members = _key_set_members(response.body)
                except FetchFailure as failure:
                    results.failed("keys_usable", failure.reason)
                else:
                    usable = _check_keys(members, config, results)
                    keys = tuple(_enrolled_key(jwk) for jwk in usable)
        _check_signature(parsed, config, usable, results)
        _check_claims(parsed, config, _now_seconds() if now is None else now, results)
    checks = results.report_checks()
    return EnrollmentReport(
        ok=all(check.result == "pass" for check in checks),
        checks=checks,
        decoded=decoded,
        key_set_url=key_set_url,
        keys=keys,
        subject=subject_claim if isinstance(subject_claim, str) else None,
        issuer=issuer_claim if isinstance(issuer_claim, str) else None,
    )


def check_enrollment(
    proposal: EnrollmentProposal,
    assertion: str,
    *,
    env: Mapping[str, str] | None = None,
    now: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> EnrollmentReport:
    """Runs every check of contract/enrollment.json on `proposal` and the challenge `assertion` (blocking
    fetches). `env` (default `os.environ`) is the environment the application will run with: its settings win
    over the proposal's, as at run time (configuration_valid checks exactly that). `now`: Unix seconds
    (default: the clock). `transport`: httpx transport (tests). Never raises for a failed check: the report
    says which failed; the assertion is not kept in it."""
    return run_plan(enrollment_plan(proposal, assertion, env, now), transport)


async def acheck_enrollment(
    proposal: EnrollmentProposal,
    assertion: str,
    *,
    env: Mapping[str, str] | None = None,
    now: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> EnrollmentReport:
    """`check_enrollment` without blocking the event loop."""
    return await arun_plan(enrollment_plan(proposal, assertion, env, now), transport)
