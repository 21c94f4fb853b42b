"""Each quirk of contract/presets.json changes exactly what its rules say, and nothing without its preset."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from helpers import (
    JwksResponse,
    ManualScheduler,
    MockJwks,
    RoutedMock,
    b64url,
    make_key,
    public_pem,
    sign_hs256,
    sign_padded,
)

from trusted_proxy_auth import Identity, TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth._quirks.padded_base64url import without_padding
from trusted_proxy_auth.cli import run

NOW = 1_767_225_660

# -- helpers --------------------------------------------------------------------------------------------


def verdict(auth: TrustedProxyAuth, token: str) -> str | Identity:
    try:
        return auth.verify_assertion(token, now=NOW)
    except TrustedProxyAuthError as error:
        return error.code


def code(auth: TrustedProxyAuth, token: str) -> str:
    result = verdict(auth, token)
    return "ok" if isinstance(result, Identity) else result


def with_jwks(env: dict[str, str], mock: MockJwks) -> TrustedProxyAuth:
    return TrustedProxyAuth(
        load_config(env), transport=mock.transport, async_transport=mock.async_transport, scheduler=ManualScheduler()
    )


# -- subjectOptional (cloudflare-access) ----------------------------------------------------------------

CF_KEY = make_key("RS256", "cf-key")
CF_ENV = {
    "TRUSTED_PROXY_PRESET": "cloudflare-access",
    "TRUSTED_PROXY_ISSUER": "https://team.cloudflareaccess.com",
    "TRUSTED_PROXY_AUDIENCE": "aud-tag",
}


def cf_token(**claims: Any) -> str:
    payload = {"aud": ["aud-tag"], "iss": "https://team.cloudflareaccess.com", "exp": NOW + 60, **claims}
    return CF_KEY.sign({name: value for name, value in payload.items() if value is not ...})


@pytest.fixture
def cloudflare() -> TrustedProxyAuth:
    return with_jwks(CF_ENV, MockJwks(JwksResponse.of(CF_KEY.public_jwk)))


def test_subject_optional_takes_the_fallback_claim_for_an_empty_or_absent_subject(
    cloudflare: TrustedProxyAuth,
) -> None:
    service = verdict(cloudflare, cf_token(sub="", common_name="abc.access"))
    assert isinstance(service, Identity)
    assert service.subject == "abc.access"
    absent = verdict(cloudflare, cf_token(common_name="abc.access"))
    assert isinstance(absent, Identity)
    assert absent.subject == "abc.access"
    user = verdict(cloudflare, cf_token(sub="user-1", common_name="ignored"))
    assert isinstance(user, Identity)
    assert user.subject == "user-1"


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"sub": "", "common_name": ""}, "missing_claim"),
        ({"sub": ""}, "missing_claim"),
        ({"sub": "", "common_name": 7}, "malformed_assertion"),
        ({"sub": "user-1", "common_name": ["x"]}, "malformed_assertion"),
        ({"sub": None, "common_name": "abc.access"}, "malformed_assertion"),
    ],
)
def test_subject_optional_keeps_type_and_presence_rules(
    cloudflare: TrustedProxyAuth, claims: dict[str, Any], expected: str
) -> None:
    assert code(cloudflare, cf_token(**claims)) == expected


def test_subject_optional_service_tokens_meet_allowed_users_and_required_claims() -> None:
    mock = MockJwks(JwksResponse.of(CF_KEY.public_jwk))
    allowed = with_jwks({**CF_ENV, "TRUSTED_PROXY_ALLOWED_USERS": "abc.access"}, mock)
    assert code(allowed, cf_token(sub="", common_name="abc.access")) == "ok"
    people_only = with_jwks({**CF_ENV, "TRUSTED_PROXY_REQUIRED_CLAIMS": "email"}, mock)
    assert code(people_only, cf_token(sub="", common_name="abc.access")) == "missing_claim"


def test_without_the_quirk_an_empty_subject_is_missing() -> None:
    env = {**CF_ENV, "TRUSTED_PROXY_PRESET": "pomerium", "TRUSTED_PROXY_JWKS_URL": "https://k.example/jwks"}
    auth = with_jwks({**env, "TRUSTED_PROXY_ALGORITHMS": "RS256"}, MockJwks(JwksResponse.of(CF_KEY.public_jwk)))
    assert code(auth, cf_token(sub="", common_name="abc.access")) == "missing_claim"


# -- the aws-alb quirks ---------------------------------------------------------------------------------

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac"
KID = "abb8289f-e3a4-4a34-9472-c2105e2b2482"
ALB_KEY = make_key("ES256", KID)
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ex4mpLe01"
KEY_HOST = "https://keys.alb.test"
ALB_HEADER: dict[str, Any] = {
    "typ": "JWT",
    "kid": KID,
    "alg": "ES256",
    "iss": ISSUER,
    "client": "client-id",
    "signer": ARN,
    "exp": NOW + 120,
}
ALB_PAYLOAD: dict[str, Any] = {"sub": "user-1", "email_verified": "true", "email": "a@example.com", "exp": NOW + 60}


def alb(**env: str) -> TrustedProxyAuth:
    mock = RoutedMock({f"{KEY_HOST}/{KID}": JwksResponse(body=public_pem(ALB_KEY))})
    config = load_config(
        {
            "TRUSTED_PROXY_PRESET": "aws-alb",
            "TRUSTED_PROXY_AWS_ALB_ARN": ARN,
            "TRUSTED_PROXY_ISSUER": ISSUER,
            "TRUSTED_PROXY_AUDIENCE": "client-id",
            "TRUSTED_PROXY_JWKS_URL": KEY_HOST + "/{kid}",
            **env,
        }
    )
    return TrustedProxyAuth(config, transport=mock.transport, async_transport=mock.async_transport)


def alb_token(header: dict[str, Any] | None = None, payload: dict[str, Any] | None = None) -> str:
    full_header = {**ALB_HEADER, **(header or {})}
    full_payload = {**ALB_PAYLOAD, **(payload or {})}
    return sign_padded(
        ALB_KEY,
        {name: value for name, value in full_header.items() if value is not ...},
        {name: value for name, value in full_payload.items() if value is not ...},
    )


def test_alb_user_claims_token_maps_header_issuer_client_audience_and_earlier_expiry() -> None:
    identity = verdict(alb(), alb_token())
    assert isinstance(identity, Identity)
    assert identity.issuer == ISSUER
    assert identity.audience == ("client-id",)
    assert identity.expires_at == NOW + 60
    assert identity.email_verified is True
    assert identity.claims["email_verified"] == "true"
    assert identity.issued_at is None
    async_identity = asyncio.run(alb().averify_assertion(alb_token(), now=NOW))
    assert async_identity.to_dict() == identity.to_dict()


def test_padded_base64url_accepts_exactly_the_padding_that_completes_a_segment() -> None:
    assert without_padding("YQ==") == "YQ"
    assert without_padding("YWI=") == "YWI"
    assert without_padding("YWJj") == "YWJj"
    for wrong in ("YQ=", "YQ===", "YWI==", "YWJj=", "YWJj==", "="):
        assert without_padding(wrong) is None, wrong


def test_an_equals_sign_inside_a_segment_is_malformed_even_with_the_quirk() -> None:
    header, payload, signature = padded_alb_token().split(".")
    assert code(alb(), f"{header[:4]}={header[4:]}.{payload}.{signature}") == "malformed_assertion"


def padded_alb_token() -> str:
    """An ALB token whose header or payload segment really carries padding."""
    for filler in ("x", "xx", "xxx"):
        token = alb_token(payload={"name": filler})
        if "=" in token.rsplit(".", 1)[0]:
            return token
    raise AssertionError("no filler gives a padded segment")


def test_padded_base64url_signs_the_padded_text() -> None:
    padded = padded_alb_token()
    assert code(alb(), padded) == "ok"
    # The same token with its padding removed no longer matches what was signed.
    stripped = ".".join(segment.rstrip("=") for segment in padded.split("."))
    assert code(alb(), stripped) == "invalid_signature"
    assert code(alb(), padded + "=") == "malformed_assertion"


def test_padding_is_malformed_without_the_quirk() -> None:
    key = make_key("ES256", "k")
    env = {
        "TRUSTED_PROXY_ASSERTION_HEADER": "X-A",
        "TRUSTED_PROXY_JWKS_URL": "https://k.example/jwks",
        "TRUSTED_PROXY_ISSUER": ISSUER,
        "TRUSTED_PROXY_AUDIENCE": "client-id",
    }
    auth = with_jwks(env, MockJwks(JwksResponse.of(key.public_jwk)))
    token = sign_padded(
        key, {"alg": "ES256", "kid": "k"}, {"iss": ISSUER, "aud": "client-id", "sub": "u", "exp": NOW + 9}
    )
    assert "=" in token
    assert code(auth, token) == "malformed_assertion"


def test_the_size_limit_counts_the_padding() -> None:
    token = padded_alb_token()
    assert len(token) > len(token.replace("=", ""))
    assert len(token) >= 256
    assert code(alb(TRUSTED_PROXY_MAX_ASSERTION_BYTES=str(len(token))), token) == "ok"
    assert code(alb(TRUSTED_PROXY_MAX_ASSERTION_BYTES=str(len(token) - 1)), token) == "assertion_too_large"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ({"signer": ARN.replace("example-alb", "other-alb")}, "issuer_mismatch"),
        ({"signer": ...}, "missing_claim"),
        ({"signer": 1}, "malformed_assertion"),
        ({"client": "another-client"}, "audience_mismatch"),
        ({"client": ...}, "missing_claim"),
        ({"client": ["client-id"]}, "malformed_assertion"),
        ({"iss": "https://other.example"}, "issuer_mismatch"),
        ({"iss": 5}, "malformed_assertion"),
        ({"exp": "soon"}, "malformed_assertion"),
        ({"exp": NOW - 3600}, "expired"),
    ],
)
def test_alb_header_members(header: dict[str, Any], expected: str) -> None:
    assert code(alb(), alb_token(header=header)) == expected


def test_alb_signer_is_checked_before_the_issuer() -> None:
    token = alb_token(header={"signer": ARN.replace("example-alb", "x"), "iss": "https://other.example"})
    assert code(alb(), token) == "issuer_mismatch"


@pytest.mark.parametrize(
    ("header", "payload", "expected"),
    [
        ({"iss": ...}, {"iss": ISSUER}, "ok"),
        ({}, {"iss": "https://other.example"}, "issuer_mismatch"),
        ({"iss": ...}, {}, "missing_claim"),
        ({"exp": ...}, {"exp": ...}, "missing_claim"),
        ({"exp": ...}, {"exp": NOW + 30}, "ok"),
        ({"exp": NOW + 30}, {"exp": ...}, "ok"),
    ],
)
def test_alb_header_claims_fall_back_to_the_payload(
    header: dict[str, Any], payload: dict[str, Any], expected: str
) -> None:
    assert code(alb(), alb_token(header=header, payload=payload)) == expected


def test_no_aud_claim_ignores_a_payload_aud_of_the_right_type() -> None:
    assert code(alb(), alb_token(payload={"aud": "someone-else"})) == "ok"
    assert code(alb(), alb_token(payload={"aud": 1})) == "malformed_assertion"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("true", True), (False, False), ("false", False), ("TRUE", False), (1, False), (..., None)],
)
def test_email_verified_string(value: Any, expected: bool | None) -> None:
    identity = verdict(alb(), alb_token(payload={"email_verified": value}))
    assert isinstance(identity, Identity)
    assert identity.email_verified is expected


def test_email_verified_string_is_off_without_the_quirk(cloudflare: TrustedProxyAuth) -> None:
    identity = verdict(cloudflare, cf_token(sub="u", email_verified="true"))
    assert isinstance(identity, Identity)
    assert identity.email_verified is False


@pytest.mark.parametrize("kid", ["not-a-uuid", KID + "0", "../keys", ...])
def test_kid_uuid_refuses_before_any_lookup(kid: Any) -> None:
    mock = RoutedMock()
    config = load_config(
        {
            "TRUSTED_PROXY_PRESET": "aws-alb",
            "TRUSTED_PROXY_AWS_ALB_ARN": ARN,
            "TRUSTED_PROXY_ISSUER": ISSUER,
            "TRUSTED_PROXY_AUDIENCE": "client-id",
        }
    )
    auth = TrustedProxyAuth(config, transport=mock.transport)
    assert code(auth, alb_token(header={"kid": kid})) == "unknown_key"
    assert mock.requests == []


def test_the_derived_key_host_is_the_regional_one() -> None:
    mock = RoutedMock()
    config = load_config(
        {
            "TRUSTED_PROXY_PRESET": "aws-alb",
            "TRUSTED_PROXY_AWS_ALB_ARN": ARN,
            "TRUSTED_PROXY_ISSUER": ISSUER,
            "TRUSTED_PROXY_AUDIENCE": "client-id",
        }
    )
    auth = TrustedProxyAuth(config, transport=mock.transport)
    assert code(auth, alb_token()) == "unknown_key"  # the mock answers 404
    assert mock.requests == [f"https://public-keys.auth.elb.eu-west-1.amazonaws.com/{KID}"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (public_pem(make_key("RS256", None)), "unknown_key"),
        (public_pem(make_key("ES384", None)), "unknown_key"),
        (public_pem(ALB_KEY) + public_pem(ALB_KEY), "jwks_unavailable"),
        ("-----BEGIN PUBLIC KEY-----\nTk9UIEEgS0VZ\n-----END PUBLIC KEY-----\n", "jwks_unavailable"),
        (json.dumps({"keys": [ALB_KEY.public_jwk]}), "jwks_unavailable"),
        ("\n\n" + public_pem(ALB_KEY) + "\n\n", "ok"),
    ],
)
def test_what_a_per_kid_answer_must_be(answer: str, expected: str) -> None:
    mock = RoutedMock({f"{KEY_HOST}/{KID}": JwksResponse(body=answer)})
    config = alb().config
    auth = TrustedProxyAuth(config, transport=mock.transport)
    assert code(auth, alb_token()) == expected


# -- kidOptionalTryAll: see test_presets_keys.py -------------------------------------------------------------

# -- sharedSecretHS256 (authentik) ----------------------------------------------------------------------

SECRET = "test-only-authentik-client-secret-0123456789"
AUTHENTIK_ISSUER = "https://auth.example.com/application/o/whoami/"
AUTHENTIK_ENV = {
    "TRUSTED_PROXY_PRESET": "authentik",
    "TRUSTED_PROXY_SHARED_SECRET": SECRET,
    "TRUSTED_PROXY_ISSUER": AUTHENTIK_ISSUER,
    "TRUSTED_PROXY_AUDIENCE": "client-id",
}
AUTHENTIK_CLAIMS = {"iss": AUTHENTIK_ISSUER, "aud": "client-id", "sub": "hash", "exp": NOW + 60, "iat": NOW}


def test_shared_secret_is_ready_at_once_never_fetches_and_reports_one_key() -> None:
    events: list[dict[str, Any]] = []
    mock = RoutedMock()
    auth = TrustedProxyAuth(load_config(AUTHENTIK_ENV), transport=mock.transport, on_event=events.append)
    auth.ready()
    token = sign_hs256(SECRET.encode(), AUTHENTIK_CLAIMS)
    assert code(auth, token) == "ok"
    assert asyncio.run(auth.averify_assertion(token, now=NOW)).subject == "hash"
    with_kid = sign_hs256(SECRET.encode(), AUTHENTIK_CLAIMS, {"alg": "HS256", "kid": "ignored"})
    assert code(auth, with_kid) == "ok"
    assert mock.requests == []
    status = auth.status()
    assert (status.state, status.key_count, status.fetch_count) == ("ready", 1, 0)
    assert SECRET not in repr(status.to_dict()) + repr(events) + repr(auth._keys)


def test_shared_secret_refuses_other_algorithms_and_other_secrets() -> None:
    auth = TrustedProxyAuth(load_config(AUTHENTIK_ENV))
    assert code(auth, sign_hs256(b"another-secret-that-is-also-32-bytes-long", AUTHENTIK_CLAIMS)) == "invalid_signature"
    hs384 = sign_hs256(SECRET.encode(), AUTHENTIK_CLAIMS, {"alg": "HS384"})
    assert code(auth, hs384) == "unsupported_algorithm"
    assert code(auth, make_key("RS256", "k").sign(AUTHENTIK_CLAIMS)) == "unsupported_algorithm"
    none_header = b64url(json.dumps({"alg": "none"}).encode())
    none_token = f"{none_header}.{b64url(json.dumps(AUTHENTIK_CLAIMS).encode())}.c2ln"
    assert code(auth, none_token) == "unsupported_algorithm"


def test_hs256_stays_forbidden_everywhere_else() -> None:
    key = make_key("RS256", "k")
    env = {
        "TRUSTED_PROXY_ASSERTION_HEADER": "X-A",
        "TRUSTED_PROXY_JWKS_URL": "https://k.example/jwks",
        "TRUSTED_PROXY_ISSUER": AUTHENTIK_ISSUER,
        "TRUSTED_PROXY_AUDIENCE": "client-id",
    }
    auth = with_jwks(env, MockJwks(JwksResponse.of(key.public_jwk, {"kty": "oct", "kid": "s", "k": b64url(b"x" * 32)})))
    assert code(auth, sign_hs256(b"x" * 32, AUTHENTIK_CLAIMS)) == "unsupported_algorithm"
    with pytest.raises(TrustedProxyAuthError):
        load_config({**env, "TRUSTED_PROXY_ALGORITHMS": "HS256"})


@pytest.mark.parametrize("outcome", ["ok", "invalid_signature", "invalid_config"])
def test_the_cli_never_prints_the_shared_secret(outcome: str) -> None:
    env = dict(AUTHENTIK_ENV)
    token = sign_hs256(SECRET.encode(), AUTHENTIK_CLAIMS)
    if outcome == "invalid_signature":
        token = sign_hs256(b"x" * 40, AUTHENTIK_CLAIMS)
    if outcome == "invalid_config":
        env["TRUSTED_PROXY_SHARED_SECRET"] = SECRET[:20]
    stdout, stderr = io.StringIO(), io.StringIO()
    exit_code = run(["verify", "--now", str(NOW), "--", token], env=env, stdout=stdout, stderr=stderr)
    printed = json.loads(stdout.getvalue())
    assert exit_code == {"ok": 0, "invalid_signature": 1, "invalid_config": 2}[outcome]
    assert printed["ok"] is (outcome == "ok")
    if not printed["ok"]:
        assert printed["error"]["code"] == outcome
    assert SECRET[:20] not in stdout.getvalue() + stderr.getvalue()
