"""A verifier that trusts a test issuer, its keys fetched through a mock transport (no socket)."""

from __future__ import annotations

from collections.abc import Mapping

from trusted_proxy_auth.config import load_config
from trusted_proxy_auth.verifier import TrustedProxyAuth

from ._issuer import TestIssuer
from ._jwks_endpoint import JwksEndpoint
from ._request_helpers import env_for


def verifier_for(
    issuer: TestIssuer,
    endpoint: JwksEndpoint | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> TrustedProxyAuth:
    """`TrustedProxyAuth` configured by `env_for(issuer, overrides)` whose key fetches (sync and async) go to
    `endpoint` (default: a fresh `JwksEndpoint(issuer)`), never to the network. Close it after the test.

    Raises:
        TrustedProxyAuthError: `invalid_config` when the overrides make the configuration invalid.
    """
    served = endpoint if endpoint is not None else JwksEndpoint(issuer)
    return TrustedProxyAuth(
        load_config(env_for(issuer, overrides)),
        transport=served.transport,
        async_transport=served.async_transport,
    )
