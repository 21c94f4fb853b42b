"""The shortcuts of the per-request path give the same answers as the plain computation they replace: the
protected-header cache, canonical base64url by the last character, ASGI byte header names compared
undecoded, and the identity built over a freshly parsed payload without a copy."""

from __future__ import annotations

import base64
import binascii
import itertools

import pytest
from helpers import NOW, JwksResponse, ManualScheduler, MockJwks, base_env, claims, make_key

from trusted_proxy_auth import TrustedProxyAuth, load_config
from trusted_proxy_auth._compact_jws import _HEADER_CACHE_SIZE, _headers, decode_canonical_base64url, parse_compact_jws
from trusted_proxy_auth.request_headers import header_values

KEY = make_key("ES256", "ec-1")
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def reference_base64url(segment: str) -> bytes | None:
    """The former definition: decode, then re-encoding must give back the same text."""
    if not segment or any(character not in ALPHABET for character in segment) or len(segment) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") == segment else None


def test_canonical_base64url_agrees_with_decode_and_re_encode_on_every_short_segment() -> None:
    segments = ["", "=", "A=", "a+b/", "ab==", " ab", "ab\n", "é", "AA\u0660"]
    segments += ["".join(chars) for length in (1, 2) for chars in itertools.product(ALPHABET, repeat=length)]
    segments += [prefix + last for prefix in ("AA", "AAAAA", "AAAAAA") for last in ALPHABET]
    for segment in segments:
        assert decode_canonical_base64url(segment) == reference_base64url(segment), segment


def test_the_header_cache_answers_like_a_fresh_parse_and_stays_bounded() -> None:
    token = KEY.sign(claims())
    header, payload, signature = token.split(".")
    first = parse_compact_jws(token)
    again = parse_compact_jws(token)
    assert first is not None
    assert again is not None
    assert again.protected_header == first.protected_header
    # A malformed header is remembered as malformed, not as anything else.
    assert parse_compact_jws(f"e30x.{payload}.{signature}") is None
    assert parse_compact_jws(f"e30x.{payload}.{signature}") is None
    for index in range(3 * _HEADER_CACHE_SIZE):
        varied = base64.urlsafe_b64encode(f'{{"alg":"ES256","n":{index}}}'.encode()).rstrip(b"=").decode()
        parse_compact_jws(f"{varied}.{payload}.{signature}")
        assert len(_headers) <= _HEADER_CACHE_SIZE
    assert parse_compact_jws(token) == first
    assert header in _headers


@pytest.mark.parametrize("name", ["X-Assertion", "x-assertion", "\u00c0-Name", "Stra\u00dfe"])
def test_byte_header_names_match_exactly_when_their_text_does(name: str) -> None:
    names: list[bytes | str] = [b"x-assertion", b"X-ASSERTION", b"\xc0-name", b"\xe0-NAME", b"stra\xdfe", b"STRASSE"]
    names += ["x-assertion", "\u00e0-name", "STRASSE"]
    for key in names:
        text = key.decode("latin-1") if isinstance(key, bytes) else key
        expected = ["v"] if text.lower() == name.lower() else []
        assert header_values([(key, b"v")], name) == expected, (name, key)


def test_a_verified_identity_is_read_only_and_unaffected_by_later_verifications() -> None:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    auth = TrustedProxyAuth(load_config(base_env()), transport=mock.transport, scheduler=ManualScheduler())
    first = auth.verify_assertion(KEY.sign(claims(roles=["a"])), now=NOW)
    auth.verify_assertion(KEY.sign(claims(sub="user-2", roles=["b"])), now=NOW)
    assert first.claims["roles"] == ["a"]
    assert first.claims["sub"] == "user-1"
    with pytest.raises(TypeError):
        first.claims["sub"] = "someone-else"  # type: ignore[index]
