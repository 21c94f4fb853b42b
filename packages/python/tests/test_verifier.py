"""End-to-end verification through the library, sync and async, against a mocked key endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from helpers import (
    AUDIENCE,
    HEADER,
    ISSUER,
    NOW,
    JwksResponse,
    ManualScheduler,
    MockJwks,
    SigningKey,
    b64url,
    base_env,
    claims,
    make_key,
    outcome,
    private_jwk,
)

from trusted_proxy_auth import Identity, TrustedProxyAuth, TrustedProxyAuthError, load_config

KEY = make_key("ES256", "ec-1")


def verifier(*keys: dict[str, Any], mock: MockJwks | None = None, **env: str) -> tuple[TrustedProxyAuth, MockJwks]:
    mock = mock or MockJwks(JwksResponse.of(*(keys or (KEY.public_jwk,))))
    auth = TrustedProxyAuth(
        load_config(base_env(**env)),
        transport=mock.transport,
        async_transport=mock.async_transport,
        scheduler=ManualScheduler(),
    )
    return auth, mock


def both(auth: TrustedProxyAuth, token: str, now: float = NOW) -> str:
    """The verdict of the sync and the async path, which must agree."""
    sync = outcome(lambda: auth.verify_assertion(token, now=now))

    async def run() -> str:
        try:
            await auth.averify_assertion(token, now=now)
        except TrustedProxyAuthError as error:
            return error.code
        return "ok"

    assert asyncio.run(run()) == sync
    return sync


@pytest.mark.parametrize(
    "alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
)
def test_every_allowed_algorithm_verifies(alg: str) -> None:
    key = make_key(alg, f"{alg}-key")
    auth, _ = verifier(key.public_jwk)
    identity = auth.verify_assertion(key.sign(claims()), now=NOW)
    assert identity.to_dict() == {
        "subject": "user-1",
        "email": "ann@example.com",
        "emailVerified": True,
        "name": "Ann",
        "groups": ["staff"],
        "issuer": ISSUER,
        "audience": [AUDIENCE],
        "issuedAt": NOW - 10,
        "expiresAt": NOW + 300,
        "claims": claims(),
    }


def test_identity_mapping_follows_the_contract() -> None:
    auth, _ = verifier(TRUSTED_PROXY_CLAIM_GROUPS="roles", TRUSTED_PROXY_CLAIM_NAME="preferred_username")
    token = KEY.sign(
        claims(
            aud=[AUDIENCE, "other"],
            email_verified="true",
            roles="admin",
            preferred_username="ann",
            iat=...,
            email="Ann@Example.COM",
        )
    )
    identity = auth.verify_assertion(token, now=NOW)
    assert identity.email_verified is False
    assert identity.groups == ("admin",)
    assert identity.name == "ann"
    assert identity.email == "Ann@Example.COM"
    assert identity.audience == (AUDIENCE, "other")
    assert identity.issued_at is None
    absent = auth.verify_assertion(KEY.sign(claims(email_verified=..., groups=..., email=..., name=...)), now=NOW)
    assert (absent.email_verified, absent.groups, absent.email, absent.name) == (None, (), None, None)


@pytest.mark.parametrize(
    ("payload", "now", "expected"),
    [
        (claims(exp=NOW), NOW + 60, "expired"),
        (claims(exp=NOW), NOW + 59.5, "ok"),
        (claims(exp=NOW + 0.5), NOW + 60, "ok"),
        (claims(nbf=NOW + 61), NOW, "not_yet_valid"),
        (claims(nbf=NOW + 60), NOW, "ok"),
        (claims(iat=NOW + 61), NOW, "not_yet_valid"),
        (claims(exp=...), NOW, "missing_claim"),
        (claims(iss=...), NOW, "missing_claim"),
        (claims(aud=...), NOW, "missing_claim"),
        (claims(sub=...), NOW, "missing_claim"),
        (claims(sub=""), NOW, "missing_claim"),
        (claims(exp="1700000300"), NOW, "malformed_assertion"),
        (claims(exp=True), NOW, "malformed_assertion"),
        (claims(exp=None), NOW, "malformed_assertion"),
        (claims(sub=123), NOW, "malformed_assertion"),
        (claims(aud=[AUDIENCE, 1]), NOW, "malformed_assertion"),
        (claims(iss=[ISSUER]), NOW, "malformed_assertion"),
        (claims(email=["a"]), NOW, "malformed_assertion"),
        (claims(groups=[1]), NOW, "malformed_assertion"),
        (claims(iss=ISSUER + "/"), NOW, "issuer_mismatch"),
        (claims(iss="https://proxy"), NOW, "issuer_mismatch"),
        (claims(aud="App"), NOW, "audience_mismatch"),
        (claims(aud=[]), NOW, "audience_mismatch"),
    ],
)
def test_claim_rules(payload: dict[str, Any], now: float, expected: str) -> None:
    auth, _ = verifier()
    assert both(auth, KEY.sign(payload), now) == expected


def test_first_failing_stage_decides() -> None:
    auth, _ = verifier()
    # wrong type beats missing claim beats expiry beats issuer
    assert both(auth, KEY.sign(claims(exp="x", sub=...))) == "malformed_assertion"
    assert both(auth, KEY.sign(claims(exp=NOW - 100, sub=...))) == "missing_claim"
    assert both(auth, KEY.sign(claims(exp=NOW - 100, iss="other"))) == "expired"
    assert both(auth, KEY.sign(claims(iss="other", aud="other"))) == "issuer_mismatch"


def test_max_age_requires_iat_and_bounds_it() -> None:
    auth, _ = verifier(TRUSTED_PROXY_MAX_AGE="300")
    assert both(auth, KEY.sign(claims(iat=...))) == "missing_claim"
    assert both(auth, KEY.sign(claims(iat=NOW - 360))) == "ok"
    assert both(auth, KEY.sign(claims(iat=NOW - 361))) == "expired"


def test_required_claims_and_user_policy() -> None:
    auth, _ = verifier(TRUSTED_PROXY_REQUIRED_CLAIMS="tenant=acme,email_verified")
    assert both(auth, KEY.sign(claims(tenant="acme"))) == "ok"
    assert both(auth, KEY.sign(claims(tenant=["x", "acme"]))) == "ok"
    assert both(auth, KEY.sign(claims(tenant="globex"))) == "claim_mismatch"
    assert both(auth, KEY.sign(claims(tenant=1))) == "claim_mismatch"
    assert both(auth, KEY.sign(claims(tenant="acme", email_verified=...))) == "missing_claim"
    users, _ = verifier(TRUSTED_PROXY_ALLOWED_USERS="ann@example.com", TRUSTED_PROXY_ALLOWED_GROUPS="admins")
    assert both(users, KEY.sign(claims())) == "ok"
    assert both(users, KEY.sign(claims(email="bob@example.com", groups=["admins"]))) == "ok"
    assert both(users, KEY.sign(claims(email="bob@example.com"))) == "forbidden_user"
    assert both(users, KEY.sign(claims(email_verified=False))) == "forbidden_user"
    assert both(users, KEY.sign(claims(email_verified=...))) == "ok"
    with pytest.raises(TrustedProxyAuthError) as raised:
        users.verify_assertion(KEY.sign(claims(email="bob@example.com")), now=NOW)
    assert raised.value.status == 403


def _segments(token: str) -> list[str]:
    return token.split(".")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t + ".", "malformed_assertion"),
        (lambda t: ".".join(_segments(t)[:2]), "malformed_assertion"),
        (lambda t: t + "=", "malformed_assertion"),
        (lambda t: t.replace(".", " .", 1), "malformed_assertion"),
        (lambda t: _segments(t)[0] + "=." + ".".join(_segments(t)[1:]), "malformed_assertion"),
        (
            lambda t: t[: t.rindex(".") + 1] + ("A" if t[t.rindex(".") + 1] != "A" else "B") + t[t.rindex(".") + 2 :],
            "invalid_signature",
        ),
        (lambda t: ".".join(_segments(t)[:2]) + ".", "malformed_assertion"),
        (lambda t: "", "missing_assertion"),
        (lambda t: t + "\n", "malformed_assertion"),
    ],
)
def test_syntax_rules(mutate: Callable[[str], str], expected: str) -> None:
    auth, _ = verifier()
    assert both(auth, mutate(KEY.sign(claims()))) == expected


def test_non_canonical_trailing_bits_are_malformed() -> None:
    auth, _ = verifier()
    header, payload, signature = KEY.sign(claims()).split(".")
    # 64-byte ES256 signature: 86 characters, the last one carries 2 unused bits.
    last = signature[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(last) ^ 1]
    assert both(auth, f"{header}.{payload}.{signature[:-1]}{sibling}") == "malformed_assertion"


@pytest.mark.parametrize(
    ("payload_text", "expected"),
    [
        ('{"sub":"a","sub":"b","iss":"https://proxy.example","aud":"app","exp":1700000300}', "malformed_assertion"),
        (
            '{"x":{"y":1,"y":2},"sub":"a","iss":"https://proxy.example","aud":"app","exp":1700000300}',
            "malformed_assertion",
        ),
        ('{"sub":"a","iss":"https://proxy.example","aud":"app","exp":1e309}', "malformed_assertion"),
        ('{"sub":"a","iss":"https://proxy.example","aud":"app","exp":NaN}', "malformed_assertion"),
        ('{"sub":"a","iss":"https://proxy.example","aud":"app","exp":Infinity}', "malformed_assertion"),
        ('{"sub":"a","iss":"https://proxy.example","aud":"app","exp":1' + "0" * 400 + "}", "malformed_assertion"),
        ('{"sub":"a","iss":"https://proxy.example","aud":"app","exp":1' + "0" * 5000 + "}", "malformed_assertion"),
        ('["not an object"]', "malformed_assertion"),
        ("\ufeff{}", "malformed_assertion"),
        (
            '{"sub":"a","iss":"https://proxy.example","aud":"app","exp":1700000300,"d":' + "[" * 31 + "]" * 31 + "}",
            "ok",
        ),
        (
            '{"sub":"a","iss":"https://proxy.example","aud":"app","exp":1700000300,"d":' + "[" * 32 + "]" * 32 + "}",
            "malformed_assertion",
        ),
        (
            '{"sub":"a","iss":"https://proxy.example","aud":"app","exp":1700000300,"d":'
            + "[" * 5000
            + "]" * 5000
            + "}",
            "malformed_assertion",
        ),
        (
            '{"sub":"a","iss":"https://proxy.example","aud":"app","exp":1700000300,"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
            "ok",
        ),
        ('{"sub":"a","iss":"https://proxy.example","aud":"app","exp":1700000300.5}', "ok"),
    ],
)
def test_strict_json(payload_text: str, expected: str) -> None:
    auth, _ = verifier()
    assert both(auth, KEY.sign(payload_text)) == expected


def test_invalid_utf8_payload_is_malformed() -> None:
    auth, _ = verifier()
    header = b64url(json.dumps({"alg": "ES256", "kid": "ec-1"}).encode())
    payload = b64url(b'{"sub":"\xff"}')
    assert both(auth, f"{header}.{payload}.{b64url(b'x' * 64)}") == "malformed_assertion"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ({"kid": "ec-1"}, "malformed_assertion"),
        ({"alg": 1, "kid": "ec-1"}, "malformed_assertion"),
        ({"alg": "none", "kid": "ec-1"}, "unsupported_algorithm"),
        ({"alg": "HS256", "kid": "ec-1"}, "unsupported_algorithm"),
        ({"alg": "es256", "kid": "ec-1"}, "unsupported_algorithm"),
        ({"alg": "ES256", "kid": "ec-1", "crit": []}, "malformed_assertion"),
        ({"alg": "ES256", "kid": "ec-1", "crit": ["exp"], "exp": 1}, "malformed_assertion"),
        ({"alg": "ES256", "kid": "ec-1", "b64": True}, "malformed_assertion"),
        ({"alg": "ES256", "kid": 7}, "malformed_assertion"),
        ({"alg": "ES256", "kid": "unknown"}, "unknown_key"),
        ({"alg": "ES256"}, "ok"),
        ({"alg": "ES384", "kid": "ec-1"}, "unknown_key"),
        ({"alg": "ES256", "kid": "ec-1", "jku": "https://attacker.example/jwks"}, "ok"),
    ],
)
def test_header_policy(header: dict[str, Any], expected: str) -> None:
    auth, mock = verifier()
    assert both(auth, KEY.sign(claims(), header=header)) == expected
    assert all(request.url.host == "keys.test" for request in mock.requests)


def test_algorithm_allow_list_is_configurable() -> None:
    auth, _ = verifier(TRUSTED_PROXY_ALGORITHMS="RS256")
    assert both(auth, KEY.sign(claims())) == "unsupported_algorithm"


def test_embedded_jwk_is_ignored() -> None:
    attacker = make_key("ES256", "ec-1")
    auth, _ = verifier()
    header = {"alg": "ES256", "kid": "ec-1", "jwk": attacker.public_jwk}
    assert both(auth, attacker.sign(claims(), header=header)) == "invalid_signature"


def test_size_is_checked_before_decoding() -> None:
    auth, _ = verifier(TRUSTED_PROXY_MAX_ASSERTION_BYTES="256")
    assert both(auth, "!" * 257) == "assertion_too_large"
    assert both(auth, "é" * 129) == "assertion_too_large"
    assert both(auth, "!" * 256) == "malformed_assertion"


@pytest.mark.parametrize(
    ("member", "token_key", "expected"),
    [
        ({**KEY.public_jwk, "use": "enc"}, KEY, "unknown_key"),
        ({**KEY.public_jwk, "key_ops": ["sign"]}, KEY, "unknown_key"),
        ({**KEY.public_jwk, "key_ops": ["verify"]}, KEY, "ok"),
        ({**KEY.public_jwk, "alg": "ES384"}, KEY, "unknown_key"),
        ({k: v for k, v in KEY.public_jwk.items() if k != "alg"}, KEY, "ok"),
        ({"kty": "oct", "kid": "ec-1", "k": "c2VjcmV0"}, KEY, "unknown_key"),
    ],
)
def test_key_usability(member: dict[str, Any], token_key: SigningKey, expected: str) -> None:
    auth, _ = verifier(member)
    assert both(auth, token_key.sign(claims())) == expected


def test_weak_rsa_keys_are_never_used() -> None:
    weak = make_key("RS256", "rsa-1024", rsa_bits=1024)
    auth, _ = verifier(weak.public_jwk)
    assert both(auth, weak.sign(claims())) == "unknown_key"


def test_key_set_with_private_material_is_refused_whole() -> None:
    leaked = {**private_jwk(KEY), "kid": "ec-1", "alg": "ES256"}
    auth, _ = verifier(KEY.public_jwk, leaked)
    with pytest.raises(TrustedProxyAuthError) as raised:
        auth.verify_assertion(KEY.sign(claims()), now=NOW)
    assert (raised.value.code, raised.value.status) == ("jwks_unavailable", 503)
    assert raised.value.retry_after is not None
    assert raised.value.retry_after >= 1


def test_token_without_kid_tries_every_usable_key() -> None:
    other = make_key("ES256", "ec-2")
    keyless = make_key("ES256", None)
    auth, _ = verifier(other.public_jwk, KEY.public_jwk)
    assert both(auth, KEY.sign(claims(), header={"alg": "ES256"})) == "ok"
    assert both(auth, keyless.sign(claims())) == "invalid_signature"


def test_wrong_kty_for_alg_is_unknown_key_not_a_crash() -> None:
    rsa_key = make_key("RS256", "ec-1")
    auth, _ = verifier({k: v for k, v in KEY.public_jwk.items() if k != "alg"})
    assert both(auth, rsa_key.sign(claims())) == "unknown_key"


@pytest.mark.parametrize(
    "response",
    [
        JwksResponse(status=500, body="oops"),
        JwksResponse(status=302, body="", headers={"location": "https://elsewhere.test/jwks"}),
        JwksResponse(body="not json"),
        JwksResponse(body='{"keys": {}}'),
        JwksResponse(body='{"keys": [1]}'),
        JwksResponse(body="[]"),
        JwksResponse(body='{"keys": [], "x": NaN}'),
        JwksResponse(body='{"keys":[' + " " * (1024 * 1024) + "]}"),
    ],
)
def test_unusable_key_endpoint_answers_are_jwks_unavailable(response: JwksResponse) -> None:
    auth, mock = verifier(mock=MockJwks(response))
    assert both(auth, KEY.sign(claims())) == "jwks_unavailable"
    assert len(mock.requests) == 1  # the async attempt waits for the retry delay instead of refetching


def test_redirects_are_never_followed() -> None:
    mock = MockJwks(JwksResponse(status=301, body="", headers={"location": "https://keys.test/other"}))
    auth, _ = verifier(mock=mock)
    assert both(auth, KEY.sign(claims())) == "jwks_unavailable"
    assert [str(request.url) for request in mock.requests] == ["https://keys.test/jwks.json"]


def test_request_headers_and_peer_address() -> None:
    auth, _ = verifier(
        TRUSTED_PROXY_TRUSTED_ADDRESSES="10.0.0.0/8,::1",
        TRUSTED_PROXY_REQUIRED_HEADERS="X-Forwarded-Proto=https",
    )
    token = KEY.sign(claims())
    good = [(HEADER.lower(), token), ("X-Forwarded-Proto", "https")]
    assert auth.verify_request(good, "10.1.2.3", now=NOW) is not None
    assert auth.verify_request(good, "::ffff:10.1.2.3", now=NOW) is not None
    assert auth.verify_request(dict(good), "::1", now=NOW) is not None
    assert outcome(lambda: auth.verify_request(good, "192.0.2.1", now=NOW)) == "untrusted_source"
    assert outcome(lambda: auth.verify_request(good, None, now=NOW)) == "untrusted_source"
    assert outcome(lambda: auth.verify_request(good[:1], "10.0.0.1", now=NOW)) == "missing_required_header"
    assert outcome(lambda: auth.verify_request([*good, ("x-forwarded-proto", "https")], "10.0.0.1")) == (
        "missing_required_header"
    )
    assert outcome(lambda: auth.verify_request([*good, (HEADER, token)], "10.0.0.1", now=NOW)) == (
        "malformed_assertion"
    )
    assert outcome(lambda: auth.verify_request([("x-forwarded-proto", "https")], "10.0.0.1")) == "missing_assertion"
    raw = [(HEADER.encode(), token.encode()), (b"x-forwarded-proto", b"https")]
    assert auth.verify_request(raw, "10.0.0.1", now=NOW) is not None


def test_optional_mode_lets_requests_without_assertion_through() -> None:
    auth, _ = verifier(TRUSTED_PROXY_MODE="optional")
    assert auth.verify_request([], None, now=NOW) is None
    assert auth.verify_request([(HEADER, "  ")], None, now=NOW) is None
    assert outcome(lambda: auth.verify_request([(HEADER, "garbage")], None, now=NOW)) == "malformed_assertion"

    async def run() -> Identity | None:
        return await auth.averify_request({HEADER: KEY.sign(claims())}, None, now=NOW)

    assert asyncio.run(run()) is not None


def test_bearer_scheme_only_for_authorization() -> None:
    auth, _ = verifier(TRUSTED_PROXY_ASSERTION_HEADER="Authorization")
    token = KEY.sign(claims())
    assert auth.verify_request([("authorization", f"bEaReR  {token}")], now=NOW) is not None
    assert outcome(lambda: auth.verify_request([("Authorization", "Bearer")], now=NOW)) == "missing_assertion"
    assert outcome(lambda: auth.verify_request([("Authorization", "Bearer   ")], now=NOW)) == "missing_assertion"
    custom, _ = verifier()
    assert outcome(lambda: custom.verify_request([(HEADER, f"Bearer {token}")], now=NOW)) == "malformed_assertion"
    assert outcome(lambda: custom.verify_request([(HEADER, f"{token},{token}")], now=NOW)) == "malformed_assertion"


def test_events_never_carry_the_token_and_a_failing_hook_is_harmless() -> None:
    events: list[dict[str, Any]] = []
    mock = MockJwks(JwksResponse.of(KEY.public_jwk, {"kty": "oct", "kid": "o", "k": "c2VjcmV0"}))

    def hook(event: dict[str, Any]) -> None:
        events.append(event)
        raise RuntimeError("logging is down")

    auth = TrustedProxyAuth(load_config(base_env()), transport=mock.transport, on_event=hook)
    token = KEY.sign(claims())
    auth.verify_assertion(token, now=NOW)
    with pytest.raises(TrustedProxyAuthError):
        auth.verify_assertion(token, now=NOW + 3600)
    types = [event["type"] for event in events]
    assert types == ["jwks_key_ignored", "jwks_fetch_ok", "verify_ok", "verify_failed"]
    text = json.dumps(events)
    assert token.split(".")[1] not in text
    assert token.split(".")[2] not in text


def test_error_messages_are_the_contract_messages_and_never_the_token() -> None:
    auth, _ = verifier()
    token = KEY.sign(claims(iss="evil"))
    with pytest.raises(TrustedProxyAuthError) as raised:
        auth.verify_assertion(token, now=NOW)
    assert raised.value.message == "the identity assertion issuer is not trusted"
    assert (
        str(raised.value)
        == 'the identity assertion issuer is not trusted: iss "evil" is not one of "https://proxy.example"'
    )
    # The detail quotes the received issuer (a claim, not a secret); the token itself never appears.
    for segment in token.split("."):
        assert segment not in repr(raised.value)
        assert segment not in str(raised.value)
