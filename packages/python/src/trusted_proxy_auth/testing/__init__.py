"""Test helpers for applications that verify proxy identity assertions (the Python twin of
@mieweb/trusted-proxy-auth-testing). For tests only: keys are made in memory and never written anywhere.

::

    from trusted_proxy_auth.testing import JwksEndpoint, TestIssuer, proxy_headers, verifier_for

    issuer = TestIssuer(audience="my-app")
    verifier = verifier_for(issuer)  # keys served through httpx.MockTransport
    identity = verifier.verify_request(proxy_headers(issuer.make_assertion(email="ada@example.com")))

The pytest plugin (`trusted_proxy_auth.testing.pytest_plugin`, loaded automatically through the `pytest11`
entry point) offers the same as fixtures: `trusted_proxy_issuer`, `trusted_proxy_jwks`, `trusted_proxy_env`,
`trusted_proxy_verifier`, `make_assertion` and `trusted_proxy_headers`.
"""

from __future__ import annotations

from ._issuer import (
    DEFAULT_EXPIRES_IN,
    DEFAULT_TEST_AUDIENCE,
    DEFAULT_TEST_ISSUER,
    DEFAULT_TEST_SUBJECT,
    OMIT,
    SUPPORTED_ALGORITHMS,
    TestIssuer,
    TestKey,
)
from ._jwks_endpoint import OUTCOMES, JwksEndpoint, Outcome, RecordedRequest
from ._loopback import RunningTestIssuer, start_test_issuer
from ._request_helpers import DEFAULT_ASSERTION_HEADER, bearer, env_for, proxy_headers
from ._verifier import verifier_for

__all__ = [
    "DEFAULT_ASSERTION_HEADER",
    "DEFAULT_EXPIRES_IN",
    "DEFAULT_TEST_AUDIENCE",
    "DEFAULT_TEST_ISSUER",
    "DEFAULT_TEST_SUBJECT",
    "OMIT",
    "OUTCOMES",
    "SUPPORTED_ALGORITHMS",
    "JwksEndpoint",
    "Outcome",
    "RecordedRequest",
    "RunningTestIssuer",
    "TestIssuer",
    "TestKey",
    "bearer",
    "env_for",
    "proxy_headers",
    "start_test_issuer",
    "verifier_for",
]
