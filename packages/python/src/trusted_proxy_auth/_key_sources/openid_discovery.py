"""OpenID Connect Discovery (contract/presets.json `jwksUrlRules.discovery`)."""

from __future__ import annotations

import json
from typing import Any

from trusted_proxy_auth._key_fetch import FetchFailure
from trusted_proxy_auth._url_rules import key_url_problem

MAX_DISCOVERY_DOCUMENT_BYTES = 1024 * 1024
DISCOVERY_PATH = "/.well-known/openid-configuration"


def discovery_url_for(issuer: str) -> str:
    """The issuer with one trailing `/` removed, followed by the well-known path."""
    return (issuer[:-1] if issuer.endswith("/") else issuer) + DISCOVERY_PATH


def _reject_constant(_name: str) -> Any:
    raise ValueError("not JSON")


def jwks_uri_from_discovery(body: bytes, issuer: str) -> str:
    """The `jwks_uri` of an OpenID Provider metadata document, accepted only when the document names
    exactly the configured issuer (Discovery 1.0 section 4.3: otherwise anyone able to answer the request
    could point us at their own keys) and the URI passes the key URL rules. Raises FetchFailure."""
    try:
        metadata = json.loads(body.decode("utf-8-sig", errors="replace"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise FetchFailure("discovery document: invalid JSON") from None
    if not isinstance(metadata, dict):
        raise FetchFailure("discovery document is not a JSON object")
    received = metadata.get("issuer")
    if received != issuer:
        shown = json.dumps(received[:200], ensure_ascii=False) if isinstance(received, str) else "none"
        raise FetchFailure(
            f"discovery issuer differs: expected {json.dumps(issuer, ensure_ascii=False)}, received {shown}"
        )
    jwks_uri = metadata.get("jwks_uri")
    if not isinstance(jwks_uri, str) or key_url_problem(jwks_uri) is not None:
        raise FetchFailure("discovery document has no usable jwks_uri")
    return jwks_uri
