"""The pytest plugin and helpers of trusted_proxy_auth.testing, used the way an application's tests would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib import metadata

import httpx
import pytest

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth.testing import (
    DEFAULT_ASSERTION_HEADER,
    OMIT,
    JwksEndpoint,
    RunningTestIssuer,
    TestIssuer,
    bearer,
    env_for,
    proxy_headers,
    start_test_issuer,
    verifier_for,
)


def test_fixtures_verify_through_the_mock_transport(
    trusted_proxy_verifier: TrustedProxyAuth,
    trusted_proxy_jwks: JwksEndpoint,
    trusted_proxy_headers: Callable[..., dict[str, str]],
) -> None:
    identity = trusted_proxy_verifier.verify_request(trusted_proxy_headers(email="ada@example.com", groups=["ops"]))
    assert identity is not None
    assert (identity.subject, identity.email, identity.groups) == (
        "test-user",
        "ada@example.com",
        ("ops",),
    )
    assert trusted_proxy_jwks.count == 1


def test_async_verification_uses_the_async_transport(
    trusted_proxy_verifier: TrustedProxyAuth, make_assertion: Callable[..., str], trusted_proxy_jwks: JwksEndpoint
) -> None:
    identity = asyncio.run(trusted_proxy_verifier.averify_assertion(make_assertion(sub="ann")))
    assert identity.subject == "ann"
    assert trusted_proxy_jwks.count == 1


def test_env_fixture_configures_a_verifier_fetching_over_loopback(
    trusted_proxy_env: dict[str, str], trusted_proxy_issuer: RunningTestIssuer, make_assertion: Callable[..., str]
) -> None:
    assert trusted_proxy_env["TRUSTED_PROXY_JWKS_URL"].startswith("http://127.0.0.1:")
    before = trusted_proxy_issuer.endpoint.count
    verifier = TrustedProxyAuth()  # reads the environment the fixture set
    try:
        assert verifier.verify_assertion(make_assertion()).issuer == trusted_proxy_issuer.url
    finally:
        verifier.close()
    assert trusted_proxy_issuer.endpoint.count == before + 1


def test_sign_options_and_omitted_claims() -> None:
    issuer = TestIssuer(audience=["a", "b"], algorithms=("ES256", "EdDSA"), default_claims={"tenant": "acme"})
    payload = issuer.decode_unverified(issuer.sign({"exp": OMIT}, now=1_700_000_000, name="Ann"))
    assert payload == {
        "iss": "https://issuer.test",
        "aud": ["a", "b"],
        "sub": "test-user",
        "iat": 1_700_000_000,
        "tenant": "acme",
        "name": "Ann",
    }
    verifier = verifier_for(issuer, overrides={"TRUSTED_PROXY_ALGORITHMS": "EdDSA"})
    try:
        with pytest.raises(TrustedProxyAuthError) as refused:
            verifier.verify_assertion(issuer.sign())  # ES256 is not allowed
        assert refused.value.code == "unsupported_algorithm"
        assert verifier.verify_assertion(issuer.sign(alg="EdDSA")).audience == ("a", "b")
    finally:
        verifier.close()


def test_rotation_revocation_and_failures_through_the_endpoint() -> None:
    issuer = TestIssuer()
    endpoint = JwksEndpoint(issuer)
    old = issuer.current_kid
    new = issuer.rotate()
    issuer.revoke(old)
    assert [key["kid"] for key in issuer.jwks()["keys"]] == [new]
    endpoint.set_failures(["503"])
    verifier = verifier_for(issuer, endpoint, {"TRUSTED_PROXY_JWKS_TIMEOUT": "1"})
    try:
        with pytest.raises(TrustedProxyAuthError) as unavailable:
            verifier.verify_assertion(issuer.sign())
        assert unavailable.value.code == "jwks_unavailable"
        assert [entry.outcome for entry in endpoint.log] == ["503"]
    finally:
        verifier.close()
    with pytest.raises(ValueError, match="unknown outcome"):
        endpoint.set_failures(["teapot"])  # type: ignore[list-item]


def test_loopback_issuer_serves_keys_and_discovery() -> None:
    with start_test_issuer(algorithms=("RS256",), cache_control=None) as issuer:
        keys = httpx.get(issuer.jwks_url)
        assert keys.json() == issuer.jwks()
        assert "cache-control" not in keys.headers
        assert httpx.get(issuer.discovery_url).json()["jwks_uri"] == issuer.jwks_url
        assert httpx.get(f"{issuer.url}/nothing").status_code == 404
        assert (issuer.endpoint.count, issuer.endpoint.discovery_count) == (1, 1)
        url = issuer.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)


def test_header_builders_and_env() -> None:
    issuer = TestIssuer(issuer="https://proxy.example", audience=["x", "y"])
    assert proxy_headers("t") == {DEFAULT_ASSERTION_HEADER: "t"}
    assert proxy_headers("t", header="Authorization", extra={"X-Forwarded-Proto": "https"}) == {
        "X-Forwarded-Proto": "https",
        "Authorization": "Bearer t",
    }
    assert bearer("t") == {"authorization": "Bearer t"}
    env = env_for(issuer, {"TRUSTED_PROXY_MODE": "optional", "TRUSTED_PROXY_AUDIENCE": None})
    assert env == {
        "TRUSTED_PROXY_ASSERTION_HEADER": "X-Test-Assertion",
        "TRUSTED_PROXY_JWKS_URL": "https://proxy.example/.well-known/jwks.json",
        "TRUSTED_PROXY_ISSUER": "https://proxy.example",
        "TRUSTED_PROXY_MODE": "optional",
    }
    assert load_config(env_for(issuer)).audience == ("x", "y")


def test_sign_raw_keeps_bytes_and_signs_with_the_named_key() -> None:
    issuer = TestIssuer(algorithms=("ES256", "RS256"))
    rsa_kid = issuer.keys[1].kid
    token = issuer.sign_raw('{"alg":"ES256","alg":"none"}', issuer.claims(), kid=rsa_kid)
    verifier = verifier_for(issuer)
    try:
        with pytest.raises(TrustedProxyAuthError) as refused:
            verifier.verify_assertion(token)
        assert refused.value.code == "malformed_assertion"
    finally:
        verifier.close()


def test_the_plugin_is_registered_through_the_entry_point(pytestconfig: pytest.Config) -> None:
    entry_points = metadata.entry_points(group="pytest11")
    assert [entry.value for entry in entry_points if entry.name == "trusted_proxy_auth"] == [
        "trusted_proxy_auth.testing.pytest_plugin"
    ]
    assert pytestconfig.pluginmanager.has_plugin("trusted_proxy_auth")


def test_a_key_endpoint_that_never_answers_is_unavailable() -> None:
    issuer = TestIssuer()
    endpoint = JwksEndpoint(issuer)
    endpoint.set_failures(["timeout"])
    verifier = verifier_for(issuer, endpoint)
    try:
        with pytest.raises(TrustedProxyAuthError) as unavailable:
            verifier.verify_assertion(issuer.sign())
        assert unavailable.value.code == "jwks_unavailable"
        assert [entry.outcome for entry in endpoint.log] == ["timeout"]
    finally:
        verifier.close()


def test_a_held_loopback_request_ends_when_the_client_gives_up() -> None:
    with start_test_issuer() as issuer:
        issuer.endpoint.set_failures(["timeout"])
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(issuer.jwks_url, timeout=0.1)
        assert httpx.get(issuer.jwks_url).json() == issuer.jwks()
