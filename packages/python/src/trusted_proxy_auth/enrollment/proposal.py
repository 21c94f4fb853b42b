"""`propose_settings`: the settings an administrator is offered, from what is already decided, a preset and the
challenge assertion (plus OpenID discovery for the key set URL). The TypeScript `proposeSettings` proposes the
same."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from trusted_proxy_auth._contract import enrollment_contract_forbidden_settings, env_variables, setting_name
from trusted_proxy_auth._key_fetch import FetchDeadline, FetchFailure, FetchPlan, KeyRequest, arun_plan, run_plan
from trusted_proxy_auth._key_sources.openid_discovery import (
    MAX_DISCOVERY_DOCUMENT_BYTES,
    discovery_url_for,
    jwks_uri_from_discovery,
)
from trusted_proxy_auth._url_rules import key_url_problem
from trusted_proxy_auth.errors import ConfigProblem, TrustedProxyAuthError

from .decoded_assertion import decode_assertion, largest_assertion_bytes
from .record import SettingValue
from .report import EnrollmentProposal


def _default_timeout() -> float:
    for variable in env_variables():
        if variable["option"] == "jwksTimeout":
            return float(variable["default"])
    return 5.0


def _claims_of(assertion: str) -> dict[str, Any]:
    """The claims, read without verification; raises assertion_too_large or malformed_assertion."""
    read = decode_assertion(assertion.strip())
    if read == "too_large":
        raise TrustedProxyAuthError("assertion_too_large", detail=f"longer than {largest_assertion_bytes()} bytes")
    if read == "malformed":
        raise TrustedProxyAuthError(
            "malformed_assertion",
            detail="not a compact JWS (three base64url segments with a JSON object header and payload)",
        )
    return read["claims"]


def _proposal_plan(
    assertion: str,
    preset: str | None,
    discovery: bool,
    env: Mapping[str, str] | None,
    assertion_header: str | None,
    from_assertion: bool,
) -> FetchPlan[EnrollmentProposal]:
    known = {variable["name"] for variable in env_variables()}
    forbidden = set(enrollment_contract_forbidden_settings())
    settings: dict[str, SettingValue] = {
        name: value
        for name, value in (env or {}).items()
        if value is not None and value.strip() != "" and name in known and name not in forbidden
    }
    if preset is not None:
        settings[setting_name("preset")] = preset
    header_name, issuer_name, audience_name, jwks_name = (
        setting_name(option) for option in ("assertionHeader", "issuer", "audience", "jwksUrl")
    )
    if assertion_header is not None and header_name not in settings:
        settings[header_name] = assertion_header
    if from_assertion:
        claims = _claims_of(assertion)
        iss, aud = claims.get("iss"), claims.get("aud")
        if issuer_name not in settings and isinstance(iss, str) and iss != "":
            settings[issuer_name] = iss
        if audience_name not in settings:
            if isinstance(aud, str) and aud != "":
                settings[audience_name] = aud
            elif isinstance(aud, list) and aud and all(isinstance(item, str) for item in aud):
                settings[audience_name] = [str(item) for item in aud]
    issuer = settings.get(issuer_name)
    if discovery and jwks_name not in settings and isinstance(issuer, str):
        if key_url_problem(issuer) is not None:
            raise TrustedProxyAuthError(
                "invalid_config",
                problems=[
                    ConfigProblem(
                        issuer_name, "cannot be used for discovery: it must be an https URL (http only on loopback)"
                    )
                ],
            )
        timeout = _default_timeout()
        request = KeyRequest(discovery_url_for(issuer), timeout, MAX_DISCOVERY_DOCUMENT_BYTES, "application/json")
        try:
            response = yield request, FetchDeadline(timeout)
            settings[jwks_name] = jwks_uri_from_discovery(response.body, issuer)
        except FetchFailure as failure:
            raise TrustedProxyAuthError("jwks_unavailable", detail=failure.reason) from None
    return EnrollmentProposal(settings)


def propose_settings(
    assertion: str,
    *,
    preset: str | None = None,
    discovery: bool = False,
    env: Mapping[str, str] | None = None,
    assertion_header: str | None = None,
    from_assertion: bool = True,
    transport: httpx.BaseTransport | None = None,
) -> EnrollmentProposal:
    """Settings to propose for enrollment: those already decided in `env` (known settings, never the ones
    contract/enrollment.json forbids in a record), the preset, the header that carried the assertion, then (unless
    `from_assertion` is False: unattended use, where a token must never vouch for itself) the unverified
    assertion's own `iss` and `aud` for whatever is still open, and with `discovery`
    the key set URL the issuer's OpenID configuration names (OpenID Connect Discovery 1.0 section 4; the
    document must name exactly this issuer). A proposal is only a suggestion: `check_enrollment` decides.
    Raises `malformed_assertion` for a token that is not a compact JWS, `jwks_unavailable` (detail: the cause)
    when discovery fails, `invalid_config` when the issuer cannot be used for discovery."""
    return run_plan(_proposal_plan(assertion, preset, discovery, env, assertion_header, from_assertion), transport)


async def apropose_settings(
    assertion: str,
    *,
    preset: str | None = None,
    discovery: bool = False,
    env: Mapping[str, str] | None = None,
    assertion_header: str | None = None,
    from_assertion: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
) -> EnrollmentProposal:
    """`propose_settings` without blocking the event loop."""
    return await arun_plan(
        _proposal_plan(assertion, preset, discovery, env, assertion_header, from_assertion), transport
    )
