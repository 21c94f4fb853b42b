"""`check_enrollment`: the checks of contract/enrollment.json over one sans-I/O plan, with a sync and an async
driver (`_key_fetch.run_plan` / `arun_plan`, like the key store's). The TypeScript `checkEnrollment` decides
every check the same way.

The key set is fetched once and judged by the verifier's usability rules; the assertion is then verified by the
real verifier with the proposed configuration against exactly the documents fetched (replayed, no second
fetch). Details name the rule and the value's place, never the assertion or key material."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import httpx

from trusted_proxy_auth._compact_jws import parse_compact_jws
from trusted_proxy_auth._contract import enrollment_contract, setting_name
from trusted_proxy_auth._detail_text import quoted
from trusted_proxy_auth._key_fetch import (
    FetchDeadline,
    FetchFailure,
    FetchPlan,
    KeyRequest,
    KeyResponse,
    arun_plan,
    run_plan,
)
from trusted_proxy_auth._key_sources.key_source import (
    DiscoverySource,
    InlineJwksSource,
    JwksFileSource,
    JwksSource,
    KidTemplateSource,
)
from trusted_proxy_auth._key_sources.kid_template_keys import MAX_PEM_BYTES
from trusted_proxy_auth._logging import loggable_url
from trusted_proxy_auth._quirks.padded_base64url import without_padding
from trusted_proxy_auth._url_rules import key_url_problem
from trusted_proxy_auth.config import TrustedProxyAuthConfig, load_config_with_enrollment
from trusted_proxy_auth.errors import ConfigProblem, TrustedProxyAuthError
from trusted_proxy_auth.identity import Identity
from trusted_proxy_auth.verifier import TrustedProxyAuth

from .decoded_assertion import decode_assertion, largest_assertion_bytes
from .key_set_probe import KeySetProbe, probe_key_set
from .record import record_problems
from .report import CheckResult, EnrollmentCheckResult, EnrollmentProposal, EnrollmentReport, enrollment_checks

#: How configuration_valid's detail starts when the configuration loads but the runtime would refuse the
#: administrator's own assertion.
REFUSES_ADMINISTRATOR = "the runtime would refuse the challenge assertion"
#: RFC 8725 section 3.10: keys named or carried by the token itself are never trusted.
EMBEDDED_KEY_MEMBERS = ("jwk", "jku", "x5u", "x5c")
_VERIFIER_CHECKS = ("assertion_signature", "issuer", "audience", "fresh")


class _CheckList:
    """The checks in contract order, each `not_run` until decided."""

    def __init__(self) -> None:
        self._results: dict[str, tuple[CheckResult, str | None]] = {
            check_id: ("not_run", None) for check_id, _ in enrollment_checks()
        }

    def set(self, check_id: str, result: CheckResult, detail: str | None = None) -> None:
        self._results[check_id] = (result, detail or None)

    def pass_unless_decided(self, check_id: str) -> None:
        if self._results[check_id][0] == "not_run":
            self.set(check_id, "pass")

    def failed(self, check_id: str) -> bool:
        return self._results[check_id][0] == "fail"

    def detail(self, check_id: str) -> str | None:
        return self._results[check_id][1]

    def listed(self) -> tuple[EnrollmentCheckResult, ...]:
        titles = dict(enrollment_checks())
        return tuple(
            EnrollmentCheckResult(check_id, titles[check_id], result, detail)
            for check_id, (result, detail) in self._results.items()
        )


def _now_ms() -> float:
    return float(time.time_ns() // 1_000_000)


def _proposal_problems(proposal: EnrollmentProposal) -> list[ConfigProblem]:
    """The record schema's rules for `settings` (value types, forbidden settings)."""
    probe = {
        "format": enrollment_contract()["format"],
        "settings": dict(proposal.settings),
        "enrolledAt": "1970-01-01T00:00:00Z",
        "enrolledBy": {"subject": "-", "issuer": "-", "method": "cli"},
        "keySetUrl": None,
        "keys": [],
        "checks": [],
    }
    return [
        ConfigProblem("settings", problem.replace("schema at /settings", "schema at settings"))
        for problem in record_problems(probe)
    ]


def _problem_text(error: TrustedProxyAuthError) -> str:
    return error.detail or error.message


def _key_url_check(config: TrustedProxyAuthConfig) -> tuple[str | None, str]:
    """(problem, detail) of check key_url_secure for where keys would be fetched from."""
    source = config.key_source
    if isinstance(source, JwksSource):
        return key_url_problem(source.url), loggable_url(source.url)
    if isinstance(source, DiscoverySource):
        return key_url_problem(source.discovery_url), f"{loggable_url(source.discovery_url)} (OpenID discovery)"
    if isinstance(source, KidTemplateSource):
        template = source.template
        return key_url_problem(template.replace("{kid}", "kid")), f"{loggable_url(template)} (one key per kid)"
    if isinstance(source, JwksFileSource):
        return None, f"no key URL: the key set is the file {quoted(source.path)}"
    if isinstance(source, InlineJwksSource):
        return None, f"no key URL: the key set is {setting_name('jwks')}"
    return None, f"no key set: the key is {setting_name('sharedSecret')}"


def _moment_within_validity(claims: Mapping[str, Any]) -> float | None:
    """A moment at which the assertion's time claims hold, to look past a freshness failure at issuer and
    audience."""

    def number(name: str) -> float | None:
        value = claims.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        return None

    iat, nbf, exp = number("iat"), number("nbf"), number("exp")
    candidates = [value for value in (iat, nbf) if value is not None]
    if candidates:
        candidate = max(candidates)
        return None if exp is not None and candidate >= exp else candidate
    return None if exp is None else exp - 1


class _ReplayTransport(httpx.BaseTransport):
    """Answers the probed URLs from what the probe read; anything else is refused (no I/O outside the plan)."""

    def __init__(self, documents: Mapping[str, KeyResponse]) -> None:
        self._documents = documents

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        document = self._documents.get(str(request.url))
        if document is None:
            return httpx.Response(404)
        headers = {"cache-control": document.cache_control} if document.cache_control else {}
        return httpx.Response(200, headers=headers, content=document.body)


def _verifier_checks(
    checks: _CheckList,
    config: TrustedProxyAuthConfig,
    load: Any,
    documents: Mapping[str, KeyResponse],
    now_ms: float,
    assertion: str,
    claims: Mapping[str, Any] | None,
) -> Identity | None:
    """Runs the real verifier and turns its answer into assertion_signature, issuer, audience and fresh (and
    configuration_valid when the runtime would refuse the administrator for another reason). The verifier stops
    at its first failing stage; a failing issuer, audience or time is then set aside (the verifier runs again with
    that one rule satisfied) so that every later check still reports."""
    overrides: dict[str, Any] = {}
    now_seconds = now_ms / 1000
    for attempt in range(4):
        verifier = TrustedProxyAuth(
            config if attempt == 0 else load(overrides),
            transport=_ReplayTransport(documents),
            clock=lambda: now_ms / 1000,
            logs=False,
        )
        try:
            identity = verifier.verify_assertion(assertion, now=now_seconds)
        except TrustedProxyAuthError as error:
            detail = error.detail
            if detail is None and error.code == "jwks_unavailable":
                detail = verifier.status().last_error
            described = error.code if detail is None else f"{error.code}: {detail}"
            code = error.code
            if code == "issuer_mismatch":
                checks.pass_unless_decided("assertion_signature")
                checks.pass_unless_decided("fresh")
                checks.set("issuer", "fail", described)
                iss = claims.get("iss") if claims is not None else None
                if not isinstance(iss, str):
                    return None
                overrides["issuer"] = iss
                continue
            if code == "audience_mismatch":
                for check in ("assertion_signature", "fresh", "issuer"):
                    checks.pass_unless_decided(check)
                checks.set("audience", "fail", described)
                aud = claims.get("aud") if claims is not None else None
                if not (
                    isinstance(aud, str) or (isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud))
                ):
                    return None
                overrides["audience"] = aud
                continue
            if code in ("expired", "not_yet_valid"):
                checks.pass_unless_decided("assertion_signature")
                checks.set("fresh", "fail", described)
                moment = None if claims is None else _moment_within_validity(claims)
                if moment is None or moment == now_seconds:
                    return None
                now_seconds = moment
                continue
            if code == "missing_claim":
                checks.pass_unless_decided("assertion_signature")
                text = detail or ""
                target = (
                    "issuer"
                    if text.startswith('claim "iss"')
                    else "audience"
                    if text.startswith('claim "aud"')
                    else "fresh"
                    if text.startswith(('claim "exp"', 'claim "iat"'))
                    else "configuration_valid"
                )
                checks.set(
                    target,
                    "fail",
                    f"{REFUSES_ADMINISTRATOR}: {described}" if target == "configuration_valid" else described,
                )
                return None
            if code in ("claim_mismatch", "forbidden_user"):
                for check in _VERIFIER_CHECKS:
                    checks.pass_unless_decided(check)
                checks.set("configuration_valid", "fail", f"{REFUSES_ADMINISTRATOR}: {described}")
                return None
            if code == "jwks_unavailable":
                if not checks.failed("keys_reachable"):
                    checks.set("keys_reachable", "fail", detail)
                checks.set("assertion_signature", "fail", described)
                return None
            # malformed_assertion, assertion_too_large, unsupported_algorithm, unknown_key, invalid_signature.
            checks.set("assertion_signature", "fail", described)
            return None
        else:
            for check in _VERIFIER_CHECKS:
                checks.pass_unless_decided(check)
            # Only a verification with the proposed configuration itself names the administrator.
            return identity if attempt == 0 else None
        finally:
            verifier.close()
    return None


def enrollment_plan(
    proposal: EnrollmentProposal, assertion: str, env: Mapping[str, str] | None, now_ms: float | None
) -> FetchPlan[EnrollmentReport]:
    """The checks without I/O: yields each key request, is sent the response or thrown the FetchFailure."""
    enrollment_file = setting_name("enrollmentFile")
    environment = {name: value for name, value in (env or {}).items() if name != enrollment_file}
    checks = _CheckList()
    token = assertion.strip()
    read = decode_assertion(token)
    decoded = None if isinstance(read, str) else read
    parsed = None if decoded is None else parse_compact_jws(token, segment=without_padding)

    def report(
        key_set_url: str | None = None, keys: tuple[Any, ...] = (), identity: Identity | None = None
    ) -> EnrollmentReport:
        listed = checks.listed()
        return EnrollmentReport(
            ok=all(check.result == "pass" for check in listed),
            checks=listed,
            decoded=decoded,
            key_set_url=key_set_url,
            keys=keys,
            subject=identity.subject if identity is not None else None,
            issuer=identity.issuer if identity is not None else None,
        )

    if decoded is not None:
        carried = [member for member in EMBEDDED_KEY_MEMBERS if member in decoded["header"]]
        checks.set(
            "no_embedded_keys",
            "fail" if carried else "pass",
            f"header carries {', '.join(chr(34) + member + chr(34) for member in carried)}" if carried else None,
        )
    else:
        checks.set(
            "no_embedded_keys",
            "not_run",
            f"the assertion is longer than {largest_assertion_bytes()} bytes"
            if read == "too_large"
            else "the assertion is not a compact JWS",
        )

    def load(overrides: Mapping[str, Any]) -> TrustedProxyAuthConfig:
        return load_config_with_enrollment(environment, proposal.settings, "off", **overrides)

    try:
        own_problems = _proposal_problems(proposal)
        if own_problems:
            raise TrustedProxyAuthError("invalid_config", problems=own_problems)
        config = load({})
    except TrustedProxyAuthError as error:
        checks.set("configuration_valid", "fail", _problem_text(error))
        jwks_url = proposal.settings.get(setting_name("jwksUrl"))
        if isinstance(jwks_url, str):
            problem = key_url_problem(jwks_url.strip())
            # No URL in the detail: a refused configuration may hold a misplaced secret anywhere.
            checks.set(
                "key_url_secure",
                "pass" if problem is None else "fail",
                None if problem is None else f"{setting_name('jwksUrl')} {problem}",
            )
        return report()
    if config.issuers:
        # An enrollment proves one proxy with one challenge assertion; a list of issuers is configured directly.
        checks.set(
            "configuration_valid",
            "fail",
            f"{setting_name('issuers')} is configured directly: one enrollment checks one issuer and its key source",
        )
        return report()
    checks.set("configuration_valid", "pass")

    problem, where = _key_url_check(config)
    checks.set("key_url_secure", "pass" if problem is None else "fail", where if problem is None else problem)
    if problem is not None:
        return report()

    documents: Mapping[str, KeyResponse] = {}
    probe: KeySetProbe | None = None
    source = config.key_source
    if isinstance(source, (JwksSource, DiscoverySource)):
        probe = yield from probe_key_set(config)
        if probe.cause is not None:
            checks.set("keys_reachable", "fail", probe.cause)
            return report(probe.key_set_url)
        checks.set("keys_reachable", "pass", None if probe.key_set_url is None else loggable_url(probe.key_set_url))
        checks.set("keys_usable", "pass" if probe.unusable is None else "fail", probe.unusable or probe.usable_detail)
        if probe.unusable is not None:
            return report(probe.key_set_url, probe.keys)
        documents = probe.documents
    elif isinstance(source, KidTemplateSource) and parsed is not None:
        # One PEM key per kid: read the assertion's own kid's key here, so the verifier needs no I/O of its own.
        kid = parsed.protected_header.get("kid")
        if isinstance(kid, str) and "/" not in kid:
            url = source.template.replace("{kid}", kid)
            request = KeyRequest(url, config.jwks_timeout, MAX_PEM_BYTES, "application/x-pem-file, text/plain, */*")
            try:
                documents = {url: (yield request, FetchDeadline(request.timeout))}
            except FetchFailure as failure:
                checks.set("keys_reachable", "fail", failure.reason)

    identity = _verifier_checks(
        checks,
        config,
        load,
        documents,
        _now_ms() if now_ms is None else now_ms,
        token,
        decoded["claims"] if decoded is not None else None,
    )
    if not isinstance(source, (JwksSource, DiscoverySource)):
        # Keys are read per kid (or configured): the verifier's own load is the reachability and usability check.
        signature_detail = checks.detail("assertion_signature") or ""
        unknown_key = checks.failed("assertion_signature") and signature_detail.startswith("unknown_key")
        if not checks.failed("keys_reachable"):
            checks.set("keys_reachable", "pass", where)
        checks.set(
            "keys_usable",
            "fail" if unknown_key else "not_run" if checks.failed("keys_reachable") else "pass",
            "no usable key for the assertion" if unknown_key else None,
        )
    reachable = probe is not None and probe.cause is None
    return report(
        probe.key_set_url if reachable and probe is not None else None,
        probe.keys if reachable and probe is not None else (),
        identity,
    )


def check_enrollment(
    proposal: EnrollmentProposal,
    assertion: str,
    *,
    env: Mapping[str, str] | None = None,
    now: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> EnrollmentReport:
    """Runs every check of contract/enrollment.json, in order, on `proposal` and the challenge `assertion` that
    came through the proxy (blocking fetches). `env`: other settings the runtime will have (environment
    variables; they win over the proposal, as over a record); default none, so the proposal alone is checked;
    the enrollment file setting in it is ignored. `now`: Unix seconds (default: the clock). `transport`: httpx
    transport (tests). Never raises for a failing check (see `ok`); the report holds decoded claims for display
    and RFC 7638 thumbprints, never the assertion or key material."""
    return run_plan(enrollment_plan(proposal, assertion, env, None if now is None else now * 1000), transport)


async def acheck_enrollment(
    proposal: EnrollmentProposal,
    assertion: str,
    *,
    env: Mapping[str, str] | None = None,
    now: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> EnrollmentReport:
    """`check_enrollment` without blocking the event loop (the key fetches are the only I/O)."""
    return await arun_plan(enrollment_plan(proposal, assertion, env, None if now is None else now * 1000), transport)
