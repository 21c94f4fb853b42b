"""Property-based fuzzing (issue 9, item 9) of the assertion parser, header extraction, key-set parsing and
configuration loading, with Hypothesis.

Two properties: nothing but TrustedProxyAuthError ever escapes, and no mutation of a valid signed assertion is
accepted unless it decodes to the same header, payload and signature bytes. Bounded here (a few seconds, a fixed
seed); `npm run fuzz` at the root sets FUZZ_RUNS (and a fresh FUZZ_SEED) for a long run. A failure prints the
seed (FUZZ_SEED reproduces it) and Hypothesis's reproduction blob.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import string
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

import httpx
import pytest
from helpers import NOW, ManualScheduler, base_env, claims, make_key
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from trusted_proxy_auth import Identity, TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth._compact_jws import ParsedCompactJws, parse_compact_jws
from trusted_proxy_auth._contract import env_variables, snake_case
from trusted_proxy_auth.request_headers import extract_assertion, header_values

LONG_RUNS = int(os.environ.get("FUZZ_RUNS", "0"))
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))
HEADER = "X-Assertion"
JWKS_URL = "https://keys.fuzz.test/jwks.json"
KEY = make_key("ES256", "fuzz")
TOKEN = KEY.sign(claims(iat=NOW - 10, exp=NOW + 600))
JWKS = {"keys": [KEY.public_jwk]}

F = TypeVar("F", bound=Callable[..., Any])


def fuzz(bounded: int) -> Callable[[F], F]:
    """Hypothesis settings: `bounded` examples in the normal run, FUZZ_RUNS in the long one; a fixed seed and no
    example database, so a run is reproducible from FUZZ_SEED alone (printed on failure)."""

    def apply(test: F) -> F:
        configured = seed(SEED)(
            settings(
                max_examples=LONG_RUNS or bounded,
                deadline=None,
                database=None,
                print_blob=True,
                # Health checks time generation; on a loaded machine they fail a sound run.
                suppress_health_check=list(HealthCheck),
            )(test)
        )

        @functools.wraps(configured)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return configured(*args, **kwargs)
            except BaseException:
                print(f"fuzz seed: FUZZ_SEED={SEED}", file=sys.stderr)
                raise

        return cast("F", run)

    return apply


def verifier_serving(body: bytes) -> TrustedProxyAuth:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    async def ahandle(request: httpx.Request) -> httpx.Response:
        return handle(request)

    return TrustedProxyAuth(
        load_config(base_env(JWKS_URL)),
        transport=httpx.MockTransport(handle),
        async_transport=httpx.MockTransport(ahandle),
        scheduler=ManualScheduler(),
    )


VERIFIER = verifier_serving(json.dumps(JWKS).encode())


def outcome(action: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, value), or (False, None) for a TrustedProxyAuthError; anything else raised fails the property."""
    try:
        return True, action()
    except TrustedProxyAuthError:
        return False, None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment_bytes(text: str) -> list[bytes | None]:
    """The bytes each segment stands for, read leniently (either base64 alphabet, padding and junk ignored)."""
    decoded: list[bytes | None] = []
    for segment in text.split("."):
        cleaned = "".join(char for char in segment if char in string.ascii_letters + string.digits + "-_+/")
        try:
            decoded.append(
                base64.urlsafe_b64decode(cleaned.replace("+", "-").replace("/", "_") + "=" * (-len(cleaned) % 4))
            )
        except (binascii.Error, ValueError):
            decoded.append(None)
    return decoded


BASE64URL = string.ascii_letters + string.digits + "-_"
MUTATION_CHAR = st.one_of(
    st.sampled_from(BASE64URL),
    st.sampled_from(["+", "/", "=", ".", " ", "\t", "\n", "\r", "\0", "%", '"', "é", "\u00a0", "\ufeff"]),
    st.characters(),
)
MUTATION = st.one_of(
    st.tuples(st.sampled_from(["replace", "insert"]), st.integers(min_value=0), MUTATION_CHAR),
    st.tuples(st.sampled_from(["delete", "flip_case", "truncate"]), st.integers(min_value=0), st.just("")),
    st.tuples(st.just("affix"), st.text(max_size=3), st.text(max_size=3)),
    st.tuples(st.just("swap_segments"), st.integers(0, 2), st.integers(0, 2)),
)


def mutate(text: str, mutation: tuple[str, Any, Any]) -> str:
    kind, first, second = mutation
    if kind == "affix":
        return f"{first}{text}{second}"
    if kind == "swap_segments":
        segments = text.split(".")
        if first < len(segments) and second < len(segments):
            segments[first], segments[second] = segments[second], segments[first]
        return ".".join(segments)
    if kind == "truncate":
        return text[: first % (len(text) + 1)]
    if kind == "insert":
        at = first % (len(text) + 1)
        return text[:at] + str(second) + text[at:]
    at = first % max(1, len(text))
    if kind == "replace":
        return text[:at] + str(second) + text[at + 1 :]
    if kind == "delete":
        return text[:at] + text[at + 1 :]
    return text[:at] + text[at : at + 1].swapcase() + text[at + 1 :]


def mutated_tokens(max_mutations: int) -> st.SearchStrategy[str]:
    def apply(mutations: list[tuple[str, Any, Any]]) -> str:
        text = TOKEN
        for mutation in mutations:
            text = mutate(text, mutation)
        return text

    return st.lists(MUTATION, min_size=1, max_size=max_mutations).map(apply)


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


@fuzz(500)
@given(st.one_of(st.text(), st.lists(st.text(), max_size=5).map(".".join)))
def test_compact_jws_parser_returns_a_result_or_none(text: str) -> None:
    parsed = parse_compact_jws(text)
    assert parsed is None or isinstance(parsed, ParsedCompactJws)


SEGMENT = st.one_of(
    JSON_VALUE.map(lambda value: b64url(json.dumps(value).encode())),
    st.binary(max_size=40).map(b64url),
    st.text(max_size=20),
)


@fuzz(200)
@given(st.one_of(st.text(), st.tuples(SEGMENT, SEGMENT, SEGMENT).map(".".join)))
def test_verify_assertion_rejects_arbitrary_text_with_the_library_error_only(text: str) -> None:
    accepted, _ = outcome(lambda: VERIFIER.verify_assertion(text, now=NOW))
    assert not accepted or text == TOKEN


def test_the_valid_assertion_verifies() -> None:
    assert VERIFIER.verify_assertion(TOKEN, now=NOW).subject == "user-1"


@fuzz(300)
@given(mutated_tokens(4))
def test_no_mutation_of_a_valid_assertion_verifies_unless_it_means_the_same_bytes(mutated: str) -> None:
    accepted, _ = outcome(lambda: VERIFIER.verify_assertion(mutated, now=NOW))
    if accepted:
        assert segment_bytes(mutated) == segment_bytes(TOKEN)


HEADER_NAME = st.one_of(
    st.sampled_from(
        [HEADER, HEADER.lower(), HEADER.upper(), f" {HEADER}", f"{HEADER} ", "X-Assertion_", "X_Assertion"]
    ),
    st.sampled_from(["Authorization", "Cookie"]),
    st.text(max_size=12),
)
HEADER_VALUE = st.one_of(
    st.just(TOKEN),
    st.sampled_from([f"Bearer {TOKEN}", f" {TOKEN} ", f"{TOKEN},{TOKEN}", f"{TOKEN}\r\n", "", " "]),
    mutated_tokens(2),
    st.text(),
)
HEADERS = st.one_of(
    st.lists(st.tuples(HEADER_NAME, HEADER_VALUE), max_size=4),
    st.lists(
        st.tuples(HEADER_NAME.map(lambda name: name.encode("utf-8")), HEADER_VALUE.map(lambda v: v.encode())),
        max_size=3,
    ),
    st.dictionaries(HEADER_NAME, HEADER_VALUE, max_size=4),
)


@fuzz(200)
@given(HEADERS)
def test_header_extraction_gives_the_one_valid_identity_none_or_the_library_error(headers: Any) -> None:
    header_values(headers, HEADER)
    outcome(lambda: extract_assertion(headers, HEADER))
    accepted, identity = outcome(lambda: VERIFIER.verify_request(headers, "127.0.0.1", now=NOW))
    if accepted and identity is not None:
        assert isinstance(identity, Identity)
        assert identity.subject == "user-1"


REAL_KEY: dict[str, Any] = dict(KEY.public_jwk)
JWK_LIKE = st.one_of(
    st.dictionaries(
        st.sampled_from([*REAL_KEY, "n", "e", "d", "k", "key_ops", "x5c", "__proto__"]),
        st.one_of(JSON_VALUE, st.sampled_from(list(REAL_KEY.values()))),
        max_size=8,
    ),
    st.tuples(
        st.sets(st.sampled_from(list(REAL_KEY))), st.dictionaries(st.text(max_size=4), JSON_VALUE, max_size=2)
    ).map(
        lambda drop_extra: {
            **{name: value for name, value in REAL_KEY.items() if name not in drop_extra[0]},
            **drop_extra[1],
        }
    ),
)
KEY_BODY = st.one_of(
    st.binary(max_size=200),
    JSON_VALUE.map(lambda value: json.dumps(value).encode()),
    st.lists(JWK_LIKE, max_size=3).map(lambda keys: json.dumps({"keys": keys}).encode()),
    st.tuples(st.lists(JWK_LIKE, max_size=2), st.dictionaries(st.text(max_size=6), JSON_VALUE, max_size=2)).map(
        lambda keys_extra: json.dumps({**keys_extra[1], "keys": [*keys_extra[0], REAL_KEY]}).encode()
    ),
)


@fuzz(100)
@given(KEY_BODY)
def test_any_key_endpoint_body_gives_the_library_error_or_the_identity_only_with_the_real_key(body: bytes) -> None:
    auth = verifier_serving(body)
    try:
        accepted, _ = outcome(lambda: auth.verify_assertion(TOKEN, now=NOW))
    finally:
        auth.close()
    if accepted:
        assert json.dumps(REAL_KEY["x"]).encode() in body


NAMES = [variable["name"] for variable in env_variables()]
SETTING_TEXT = st.one_of(
    st.text(),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "true", "https://k.test/jwks.json", "ES256,HS256", "::1/129"]),
    st.sampled_from(["cloudflare-access", "{kid}"]),
)


@fuzz(300)
@given(
    st.dictionaries(
        st.one_of(st.sampled_from(NAMES), st.text(max_size=8).map(lambda tail: f"TRUSTED_PROXY_{tail}")),
        SETTING_TEXT,
        max_size=8,
    ),
    st.dictionaries(
        st.one_of(st.sampled_from([variable["option"] for variable in env_variables()]), st.text(max_size=8)),
        st.one_of(SETTING_TEXT, JSON_VALUE),
        max_size=4,
    ),
)
def test_configuration_loading_gives_a_configuration_or_invalid_config(
    env: dict[str, str], options: dict[str, Any]
) -> None:
    overrides = {snake_case(name): value for name, value in options.items()}
    loaded, _ = outcome(lambda: load_config({**base_env(JWKS_URL), **env}, **overrides))
    if not loaded:
        with pytest.raises(TrustedProxyAuthError) as refused:
            load_config({**base_env(JWKS_URL), **env}, **overrides)
        assert refused.value.code == "invalid_config"
