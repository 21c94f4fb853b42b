"""The verified identity is a value: hashable, with read-only claims; bytes input reads like a header value."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from helpers import HEADER, NOW, JwksResponse, ManualScheduler, MockJwks, base_env, claims, make_key

from trusted_proxy_auth import Identity, TrustedProxyAuth, TrustedProxyAuthError, load_config

KEY = make_key("ES256", "ec-1")


def verifier() -> TrustedProxyAuth:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    return TrustedProxyAuth(
        load_config(base_env()),
        transport=mock.transport,
        async_transport=mock.async_transport,
        scheduler=ManualScheduler(),
    )


def test_identity_is_hashable_and_equal_identities_hash_alike() -> None:
    auth = verifier()
    token = KEY.sign(claims(roles=["a", "b"]))
    first = auth.verify_assertion(token, now=NOW)
    second = auth.verify_assertion(token, now=NOW)
    assert first == second
    assert hash(first) == hash(second)
    assert {first: "cached"}[second] == "cached"


def test_claims_are_read_only_at_the_top_level() -> None:
    identity = verifier().verify_assertion(KEY.sign(claims()), now=NOW)
    with pytest.raises(TypeError):
        identity.claims["sub"] = "someone-else"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.claims = {}  # type: ignore[misc]
    assert identity.claims["sub"] == "user-1"


def test_identity_keeps_its_own_copy_of_the_claims_it_was_given() -> None:
    payload: dict[str, Any] = {"sub": "user-1", "roles": ["a"]}
    identity = Identity(
        subject="user-1",
        email=None,
        email_verified=None,
        name=None,
        groups=(),
        issuer="https://proxy.example",
        audience=("app",),
        issued_at=None,
        expires_at=NOW + 60,
        claims=payload,
    )
    payload["sub"] = "changed"
    payload["roles"].append("b")
    assert identity.claims == {"sub": "user-1", "roles": ["a"]}
    assert identity.to_dict()["claims"] == {"sub": "user-1", "roles": ["a"]}
    exported = identity.to_dict()["claims"]
    exported["sub"] = "changed"
    assert identity.claims["sub"] == "user-1"


def test_verify_assertion_accepts_bytes_like_verify_request() -> None:
    auth = verifier()
    token = KEY.sign(claims())
    from_text = auth.verify_assertion(token, now=NOW)
    from_bytes = auth.verify_assertion(token.encode("ascii"), now=NOW)
    from_header = auth.verify_request([(HEADER.lower().encode(), token.encode("ascii"))], now=NOW)
    assert from_bytes == from_text == from_header
    assert asyncio.run(auth.averify_assertion(token.encode("ascii"), now=NOW)) == from_text


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (b"", "missing_assertion"),
        (b"not-a-jws", "malformed_assertion"),
        # A byte that is not ASCII reads as its ISO-8859-1 character, as in a header, and the token is refused.
        (b"\xe9.\xe9.\xe9", "malformed_assertion"),
    ],
)
def test_bytes_are_refused_by_the_same_rules_as_text(token: bytes, code: str) -> None:
    auth = verifier()
    with pytest.raises(TrustedProxyAuthError) as from_bytes:
        auth.verify_assertion(token, now=NOW)
    with pytest.raises(TrustedProxyAuthError) as from_text:
        auth.verify_assertion(token.decode("latin-1"), now=NOW)
    assert from_bytes.value.code == from_text.value.code == code
