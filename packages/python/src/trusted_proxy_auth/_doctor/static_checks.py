"""The part of the audit that needs no network (seed 003's `security audit`)."""

from __future__ import annotations

import ipaddress

from trusted_proxy_auth._contract import variable_for_option
from trusted_proxy_auth._key_sources.key_source import SharedSecretSource
from trusted_proxy_auth.config import TrustedProxyAuthConfig
from trusted_proxy_auth.errors import TrustedProxyAuthError

from .findings import Finding, finding, max_clock_tolerance_seconds, unsigned_identity_headers


def config_problem_findings(error: TrustedProxyAuthError) -> list[Finding]:
    """A missing issuer or audience by name; every other configuration problem as config_invalid."""
    findings: list[Finding] = []
    issuer, audience = variable_for_option("issuer")["name"], variable_for_option("audience")["name"]
    for problem in error.problems or ():
        if problem.message == "is required" and problem.variable == issuer:
            findings.append(finding("issuer_missing"))
        elif problem.message == "is required" and problem.variable == audience:
            findings.append(finding("audience_missing"))
        else:
            findings.append(finding("config_invalid", f"{problem.variable} {problem.message}"))
    return findings


def static_findings(config: TrustedProxyAuthConfig) -> list[Finding]:
    """Findings for a loaded configuration, in the order the TypeScript doctor reports them."""
    findings: list[Finding] = []
    header = config.assertion_header.lower()
    if header in unsigned_identity_headers():
        findings.append(finding("unsigned_identity_header", config.assertion_header))
    if header == "cookie":
        findings.append(finding("assertion_header_cookie"))
    if header == "authorization":
        findings.append(finding("assertion_header_authorization"))
    for network in config.trusted_addresses:
        if network.prefixlen == 0:
            everything = "0.0.0.0/0" if isinstance(network, ipaddress.IPv4Network) else "::/0"
            findings.append(finding("trusted_addresses_everything", everything))
    if not config.trusted_addresses:
        findings.append(
            finding("optional_without_trusted_addresses" if config.mode == "optional" else "no_trusted_addresses")
        )
    if isinstance(config.key_source, SharedSecretSource):
        findings.append(finding("shared_secret"))
    # Several trusted issuers: entries of `issuers`, or several `issuer` values sharing one key source.
    trusted_issuers = len(config.issuers) if config.issuers else len(config.issuer)
    if config.allowed_users and trusted_issuers > 1:
        findings.append(finding("allowed_users_several_issuers", f"{trusted_issuers} issuers"))
    if config.clock_tolerance > max_clock_tolerance_seconds():
        findings.append(finding("clock_tolerance_large", f"{config.clock_tolerance} seconds"))
    return findings
