"""`propose_settings`: the settings an administrator is offered, from a preset or from the challenge assertion
(plus OpenID discovery for the key set URL)."""

from __future__ import annotations

import httpx

from trusted_proxy_auth._compact_jws import parse_compact_jws
from trusted_proxy_auth._contract import setting_name
from trusted_proxy_auth._key_fetch import FetchDeadline, FetchFailure, FetchPlan, KeyRequest, arun_plan, run_plan
from trusted_proxy_auth._key_sources.openid_discovery import (
    MAX_DISCOVERY_DOCUMENT_BYTES,
    discovery_url_for,
    jwks_uri_from_discovery,
)
from trusted_proxy_auth._url_rules import key_url_problem
from trusted_proxy_auth.errors import TrustedProxyAuthError

from .record import SettingValue
from .report import EnrollmentProposal

#: Seconds a discovery request may take (the contract default of the key fetch timeout).
DEFAULT_DISCOVERY_TIMEOUT = 5.0


def _proposal_plan(
    assertion: str, preset: str | None, discovery: bool, assertion_header: str | None, timeout: float
) -> FetchPlan[EnrollmentProposal]:
    parsed = parse_compact_jws(assertion.strip())
    if parsed is None:
        raise TrustedProxyAuthError("malformed_assertion", detail="not a compact JWS")
    settings: dict[str, SettingValue] = {}
    if preset:
        settings["TRUSTED_PROXY_PRESET"] = preset
    if assertion_header:
        settings[setting_name("assertionHeader")] = assertion_header
    iss = parsed.payload.get("iss")
    if isinstance(iss, str) and iss != "":
        settings[setting_name("issuer")] = iss
    aud = parsed.payload.get("aud")
    if isinstance(aud, str) and aud != "":
        settings[setting_name("audience")] = aud
    elif isinstance(aud, list) and aud and all(isinstance(item, str) for item in aud):
        settings[setting_name("audience")] = [str(item) for item in aud]
    if discovery:
        if not isinstance(iss, str) or key_url_problem(discovery_url_for(iss)) is not None:
            raise TrustedProxyAuthError("jwks_unavailable", detail="discovery needs an https issuer in the assertion")
        request = KeyRequest(discovery_url_for(iss), timeout, MAX_DISCOVERY_DOCUMENT_BYTES, "application/json")
        try:
            response = yield request, FetchDeadline(timeout)
            settings[setting_name("jwksUrl")] = jwks_uri_from_discovery(response.body, iss)
        except FetchFailure as failure:
            raise TrustedProxyAuthError("jwks_unavailable", detail=failure.reason) from None
    return EnrollmentProposal(settings)


def propose_settings(
    assertion: str,
    *,
    preset: str | None = None,
    discovery: bool = False,
    assertion_header: str | None = None,
    timeout: float = DEFAULT_DISCOVERY_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> EnrollmentProposal:
    """Settings proposed from the (unverified, display-only) challenge `assertion`: the preset, the header it
    came in, its `iss` and `aud`, and with `discovery` the key set URL the issuer's OpenID configuration names
    (OpenID Connect Discovery 1.0 section 4; the document must name the same issuer). Nothing is trusted
    here: `check_enrollment` decides. Raises `malformed_assertion` for a token that is not a compact JWS and
    `jwks_unavailable` (detail: the cause) when discovery fails."""
    return run_plan(_proposal_plan(assertion, preset, discovery, assertion_header, timeout), transport)


async def apropose_settings(
    assertion: str,
    *,
    preset: str | None = None,
    discovery: bool = False,
    assertion_header: str | None = None,
    timeout: float = DEFAULT_DISCOVERY_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> EnrollmentProposal:
    """`propose_settings` without blocking the event loop."""
    return await arun_plan(_proposal_plan(assertion, preset, discovery, assertion_header, timeout), transport)
