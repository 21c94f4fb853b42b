"""pytest fixtures for apps behind an identity-aware proxy; registered by the `pytest11` entry point
`trusted_proxy_auth`, so they are there once the package is installed (`-p no:trusted_proxy_auth` turns
them off). Every fixture is lazy: a test that uses none costs nothing.

- `trusted_proxy_issuer` (session): a `RunningTestIssuer` with keys made for this session, its key set
  served over loopback HTTP on 127.0.0.1.
- `trusted_proxy_jwks`: a `JwksEndpoint` for that issuer with fresh counts, for `httpx.MockTransport`.
- `trusted_proxy_verifier`: a `TrustedProxyAuth` trusting the issuer, keys fetched through `trusted_proxy_jwks`.
- `trusted_proxy_env`: sets the TRUSTED_PROXY_* environment to trust the issuer (over loopback) for one test,
  removing any other TRUSTED_PROXY_* variable; returns the variables set.
- `make_assertion(**claims)`: a signed assertion from the issuer.
- `trusted_proxy_headers(**claims)`: the headers a proxy forwards with such an assertion.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from trusted_proxy_auth.verifier import TrustedProxyAuth

from ._jwks_endpoint import JwksEndpoint
from ._loopback import RunningTestIssuer, start_test_issuer
from ._request_helpers import env_for, proxy_headers
from ._verifier import verifier_for


@pytest.fixture(scope="session")
def trusted_proxy_issuer() -> Iterator[RunningTestIssuer]:
    """A throw-away issuer for the session, served over loopback HTTP; `iss` is its URL."""
    with start_test_issuer() as issuer:
        yield issuer


@pytest.fixture
def trusted_proxy_jwks(trusted_proxy_issuer: RunningTestIssuer) -> JwksEndpoint:
    """The issuer's key set for `httpx.MockTransport` (`.transport`, `.async_transport`), counting requests."""
    return JwksEndpoint(trusted_proxy_issuer)


@pytest.fixture
def trusted_proxy_verifier(
    trusted_proxy_issuer: RunningTestIssuer, trusted_proxy_jwks: JwksEndpoint
) -> Iterator[TrustedProxyAuth]:
    """A verifier trusting the issuer, keys through `trusted_proxy_jwks`; closed after the test."""
    verifier = verifier_for(trusted_proxy_issuer, trusted_proxy_jwks)
    try:
        yield verifier
    finally:
        verifier.close()


@pytest.fixture
def trusted_proxy_env(trusted_proxy_issuer: RunningTestIssuer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """TRUSTED_PROXY_* for this test only, trusting the issuer over loopback; other TRUSTED_PROXY_* removed."""
    for name in [name for name in os.environ if name.startswith("TRUSTED_PROXY_")]:
        monkeypatch.delenv(name)
    env = env_for(trusted_proxy_issuer)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def make_assertion(trusted_proxy_issuer: RunningTestIssuer) -> Callable[..., str]:
    """`make_assertion(**claims)`: an assertion signed by the session's issuer (claims override the defaults)."""
    return trusted_proxy_issuer.make_assertion


@pytest.fixture
def trusted_proxy_headers(trusted_proxy_issuer: RunningTestIssuer) -> Callable[..., dict[str, str]]:
    """`trusted_proxy_headers(**claims)`: `{"X-Test-Assertion": <assertion>}` as a proxy would forward it."""

    def headers(**claims: Any) -> dict[str, str]:
        return proxy_headers(trusted_proxy_issuer.make_assertion(**claims))

    return headers
