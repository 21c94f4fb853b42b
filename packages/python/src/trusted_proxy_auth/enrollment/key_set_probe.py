"""Checks `keys_reachable` and `keys_usable`: the key set the configuration names, fetched once (after OpenID
discovery when it says so) with the verifier's own fetch rules, and judged by the verifier's key usability
rules (contract/checks.json `keyUsability`). The documents read are kept, so that the verifier run afterwards
checks the very same keys."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trusted_proxy_auth._detail_text import quoted
from trusted_proxy_auth._key_fetch import FetchDeadline, FetchFailure, FetchPlan, KeyRequest, KeyResponse
from trusted_proxy_auth._key_set import fits_algorithm, has_private_material, unusable_reason
from trusted_proxy_auth._key_sources.key_source import DiscoverySource, JwksSource
from trusted_proxy_auth._key_sources.openid_discovery import MAX_DISCOVERY_DOCUMENT_BYTES, jwks_uri_from_discovery
from trusted_proxy_auth._key_store import MAX_JWKS_BYTES
from trusted_proxy_auth.config import TrustedProxyAuthConfig

from .report import EnrolledKey
from .thumbprint import jwk_thumbprint

_KEY_SET_ACCEPT = "application/jwk-set+json, application/json"


@dataclass(frozen=True)
class KeySetProbe:
    """`cause` set: not reachable. Else `unusable` is None when usable, or why not (no key material quoted)."""

    key_set_url: str | None
    cause: str | None = None
    unusable: str | None = None
    usable_detail: str = ""
    keys: tuple[EnrolledKey, ...] = ()
    #: URL -> response, to replay to the verifier.
    documents: Mapping[str, KeyResponse] = field(default_factory=dict)


def _not_json(_name: str) -> Any:
    raise ValueError("not JSON")


def probe_key_set(config: TrustedProxyAuthConfig) -> FetchPlan[KeySetProbe]:
    """Only for key sources `jwks` and `discovery`."""
    source = config.key_source
    if not isinstance(source, (JwksSource, DiscoverySource)):
        raise TypeError("only key sets are probed")
    documents: dict[str, KeyResponse] = {}
    key_set_url = source.url if isinstance(source, JwksSource) else None
    try:
        if isinstance(source, DiscoverySource):
            request = KeyRequest(
                source.discovery_url, config.jwks_timeout, MAX_DISCOVERY_DOCUMENT_BYTES, "application/json"
            )
            discovery = yield request, FetchDeadline(request.timeout)
            key_set_url = jwks_uri_from_discovery(discovery.body, source.issuer)
            documents[source.discovery_url] = discovery
        assert key_set_url is not None
        request = KeyRequest(key_set_url, config.jwks_timeout, MAX_JWKS_BYTES, _KEY_SET_ACCEPT)
        key_set = yield request, FetchDeadline(request.timeout)
        documents[key_set_url] = key_set
    except FetchFailure as failure:
        return KeySetProbe(key_set_url, cause=failure.reason)
    try:
        document = json.loads(key_set.body.decode("utf-8-sig", errors="replace"), parse_constant=_not_json)
    except (ValueError, RecursionError):
        return KeySetProbe(key_set_url, cause="invalid JSON")
    members = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(members, list) or not all(isinstance(member, dict) for member in members):
        return KeySetProbe(key_set_url, cause="not a JSON Web Key Set")
    unusable, usable_detail, keys = _judge(members, config.algorithms)
    return KeySetProbe(key_set_url, unusable=unusable, usable_detail=usable_detail, keys=keys, documents=documents)


def _kid_text(member: Mapping[str, Any]) -> str:
    kid = member.get("kid")
    return f"kid {quoted(kid)}" if isinstance(kid, str) else "a key without kid"


def _enrolled_key(member: Mapping[str, Any]) -> EnrolledKey:
    kid, alg = member.get("kid"), member.get("alg")
    kty: Literal["RSA", "EC", "OKP"] = member["kty"]
    return EnrolledKey(
        kid if isinstance(kid, str) else None, kty, alg if isinstance(alg, str) else None, jwk_thumbprint(member)
    )


def _judge(
    members: list[dict[str, Any]], algorithms: tuple[str, ...]
) -> tuple[str | None, str, tuple[EnrolledKey, ...]]:
    if any(has_private_material(member) for member in members):
        return "the key set publishes private key material", "", ()
    usable: list[dict[str, Any]] = []
    reasons: list[str] = []
    for member in members:
        reason = unusable_reason(member)
        if reason is None:
            usable.append(member)
        else:
            reasons.append(f"{_kid_text(member)}: {reason}")
    fitting = [member for member in usable if any(fits_algorithm(member, alg) for alg in algorithms)]
    keys = tuple(_enrolled_key(member) for member in fitting)
    if not fitting:
        why = (
            f"no usable key among {len(members)}"
            if not usable
            else f"no usable key fits the allowed algorithms {', '.join(algorithms)}"
        )
        return (f"{why} ({'; '.join(reasons[:5])})" if reasons else why), "", keys
    return None, f"{len(fitting)} usable of {len(members)} keys", keys
