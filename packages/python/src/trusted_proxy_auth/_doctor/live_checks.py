"""The part of the audit that reads the key endpoint once, with the verifier's time-out and limits."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import httpx

from trusted_proxy_auth._contract import setting_name
from trusted_proxy_auth._key_fetch import FetchFailure, KeyRequest, fetch_key_document
from trusted_proxy_auth._key_set import fits_algorithm, has_private_material, unusable_reason
from trusted_proxy_auth._key_sources.key_source import DiscoverySource, InlineJwksSource, JwksFileSource, JwksSource
from trusted_proxy_auth._key_sources.openid_discovery import MAX_DISCOVERY_DOCUMENT_BYTES
from trusted_proxy_auth._local_file import LocalFileError, read_local_file
from trusted_proxy_auth._url_rules import key_url_problem
from trusted_proxy_auth.config import TrustedProxyAuthConfig

from .findings import Finding, finding

MAX_KEY_SET_BYTES = 1024 * 1024
_MISSING = object()


def _fetch_cause(error: FetchFailure) -> str:
    """The key fetch's own cause in words ("timed out after 5 s", "HTTP status 404"), as both doctors print it."""
    return error.reason


def _fetch_json(
    url: str, config: TrustedProxyAuthConfig, max_bytes: int, transport: httpx.BaseTransport | None
) -> tuple[Any, str | None]:
    """(parsed JSON or _MISSING when not JSON, None) or (None, cause)."""
    request = KeyRequest(url, config.jwks_timeout, max_bytes, "application/json")
    try:
        response = fetch_key_document(request, transport)
    except FetchFailure as error:
        return None, _fetch_cause(error)
    try:
        return json.loads(response.body.decode("utf-8", errors="replace")), None
    except ValueError:
        return _MISSING, None


def _kid_text(member: Mapping[str, Any]) -> str:
    kid = member.get("kid")
    return f'kid "{kid}"' if isinstance(kid, str) else "a key without kid"


def _key_set_findings(url: str, document: Any, config: TrustedProxyAuthConfig) -> list[Finding]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        return [finding("keys_not_a_key_set", url)]
    members: list[Any] = document["keys"]
    findings: list[Finding] = []
    usable: list[Mapping[str, Any]] = []
    for member in members:
        if not isinstance(member, dict):
            findings.append(finding("key_unusable", "a member is not a JSON object"))
            continue
        if has_private_material(member):
            findings.append(finding("key_private_material", _kid_text(member)))
            continue
        reason = unusable_reason(member)
        if reason is None:
            usable.append(member)
        elif reason.startswith("RSA modulus under"):
            findings.append(finding("key_weak", f"{_kid_text(member)}: {reason}"))
        else:
            findings.append(finding("key_unusable", f"{_kid_text(member)}: {reason}"))
    if not usable:
        return [*findings, finding("no_usable_keys", url)]
    fitting = [alg for alg in config.algorithms if any(fits_algorithm(jwk, alg) for jwk in usable)]
    if not fitting:
        return [*findings, finding("no_key_for_algorithms", f"allowed: {', '.join(config.algorithms)}")]
    missing = [alg for alg in config.algorithms if alg not in fitting]
    if missing:
        findings.append(finding("algorithms_without_key", f"no key for: {', '.join(missing)}"))
    findings.append(finding("keys_ok", f"{len(usable)} usable of {len(members)} keys at {url}"))
    return findings


def _key_file_findings(path: str, config: TrustedProxyAuthConfig) -> list[Finding]:
    """A local key set file read once, judged like a fetched one (a missing or unreadable file is unreachable)."""
    try:
        body = read_local_file(path, MAX_KEY_SET_BYTES)
    except LocalFileError as error:
        return [finding("keys_unreachable", f"{path}: {'cannot be read' if error.missing else error.reason}")]
    try:
        document: Any = json.loads(body.decode("utf-8-sig", errors="replace"))
    except ValueError:
        document = _MISSING
    return _key_set_findings(path, document, config)


def live_findings(config: TrustedProxyAuthConfig, transport: httpx.BaseTransport | None = None) -> list[Finding]:
    """Reads the key endpoint (after OpenID discovery when configured) once; a local key set is read from its file
    or the configuration. With option `issuers`, each entry's keys are audited against its own algorithms."""
    if config.issuers:
        found: list[Finding] = []
        for entry in config.issuers:
            unit = dataclasses.replace(
                config, issuers=(), issuer=(entry.issuer,), key_source=entry.key_source, algorithms=entry.algorithms
            )
            found.extend(live_findings(unit, transport))
        return found
    source = config.key_source
    if isinstance(source, JwksFileSource):
        return _key_file_findings(source.path, config)
    if isinstance(source, InlineJwksSource):
        return _key_set_findings(setting_name("jwks"), {"keys": list(source.keys)}, config)
    if not isinstance(source, (JwksSource, DiscoverySource)):
        return [finding("keys_not_fetched")]
    url = source.url if isinstance(source, JwksSource) else source.discovery_url
    if isinstance(source, DiscoverySource):
        metadata, cause = _fetch_json(url, config, MAX_DISCOVERY_DOCUMENT_BYTES, transport)
        if cause is not None:
            return [finding("keys_unreachable", f"{url}: {cause}")]
        if not isinstance(metadata, dict):
            return [finding("keys_unreachable", f"{url}: discovery document is not a JSON object")]
        named = metadata.get("issuer")
        if named != source.issuer:
            what = f'"{named}"' if isinstance(named, str) else "no issuer"
            return [finding("discovery_issuer_mismatch", f'configured "{source.issuer}", document names {what}')]
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str) or key_url_problem(jwks_uri) is not None:
            return [finding("keys_unreachable", f"{url}: discovery document has no usable jwks_uri")]
        url = jwks_uri
    key_set, cause = _fetch_json(url, config, MAX_KEY_SET_BYTES, transport)
    if cause is not None:
        return [finding("keys_unreachable", f"{url}: {cause}")]
    return _key_set_findings(url, key_set, config)
