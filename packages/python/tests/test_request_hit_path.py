"""The per-request path on a verified-assertion cache hit, as the ASGI middleware takes it: `averify_request`
answers a hit without a signature verification and gives the same verdicts, counts and events as
`verify_request`; the middleware's state and resolver handling; header lookups by a remembered name agree with
the plain definition on every kind of input."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from helpers import HEADER, NOW, JwksResponse, ManualScheduler, MockJwks, base_env, claims, make_key, outcome
from hypothesis import example, given, settings
from hypothesis import strategies as st

from trusted_proxy_auth import Identity, TrustedProxyAuth, load_config
from trusted_proxy_auth.asgi import STATE_CHECKED, STATE_IDENTITY, STATE_USER, TrustedProxyAuthMiddleware
from trusted_proxy_auth.claims import check_times, passing_times
from trusted_proxy_auth.errors import TrustedProxyAuthError
from trusted_proxy_auth.request_headers import extract_assertion, header_values

KEY = make_key("ES256", "hit-path")

VerifyRequest = Callable[..., Identity | None]


def verifier(**env: str) -> tuple[TrustedProxyAuth, list[dict[str, Any]], list[str]]:
    """A verifier, its events, and a log of the signature verifications its key source makes."""
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    events: list[dict[str, Any]] = []
    clock = ManualScheduler()
    auth = TrustedProxyAuth(
        load_config(base_env(**env)),
        transport=mock.transport,
        async_transport=mock.async_transport,
        scheduler=clock,
        clock=clock,
        on_event=events.append,
    )
    signatures: list[str] = []
    keys: Any = auth._units[0][1]
    sync_verify, async_verify = keys.verify, keys.averify

    def counted_verify(*args: Any) -> None:
        signatures.append("sync")
        sync_verify(*args)

    async def counted_averify(*args: Any) -> None:
        signatures.append("async")
        await async_verify(*args)

    keys.verify, keys.averify = counted_verify, counted_averify
    return auth, events, signatures


def sync_request(auth: TrustedProxyAuth) -> VerifyRequest:
    return auth.verify_request


def async_request(auth: TrustedProxyAuth) -> VerifyRequest:
    def call(*args: Any, **kwargs: Any) -> Identity | None:
        return asyncio.run(auth.averify_request(*args, **kwargs))

    return call


BOTH = pytest.mark.parametrize("request_verifier", [sync_request, async_request], ids=["sync", "async"])


@BOTH
def test_a_hit_is_answered_without_a_signature_verification(request_verifier: Callable[..., VerifyRequest]) -> None:
    auth, events, signatures = verifier()
    verify = request_verifier(auth)
    headers = [(HEADER.lower().encode(), KEY.sign(claims()).encode())]
    verify(headers, "192.0.2.1", now=NOW)
    remembered = verify(headers, "192.0.2.1", now=NOW)  # the cache admits an assertion's second success
    again = verify(headers, "192.0.2.1", now=NOW + 1)
    assert again is remembered
    assert len(signatures) == 2
    assert (auth.cache_counts().hits, auth.cache_counts().misses) == (1, 2)
    assert [event["cached"] for event in events if event["type"] == "verify_ok"] == [False, False, True]


@BOTH
def test_a_hit_past_the_max_age_fails_with_an_event_and_is_forgotten(
    request_verifier: Callable[..., VerifyRequest],
) -> None:
    auth, events, signatures = verifier(
        TRUSTED_PROXY_CLOCK_TOLERANCE="0", TRUSTED_PROXY_MAX_AGE="30", TRUSTED_PROXY_CACHE_MAX_AGE="60"
    )
    verify = request_verifier(auth)
    headers = {HEADER: KEY.sign(claims(iat=NOW, exp=NOW + 300))}
    assert outcome(lambda: verify(headers, now=NOW)) == "ok"
    assert outcome(lambda: verify(headers, now=NOW)) == "ok"
    # Still remembered (before exp and the cache's maximum age), but older than max age: the hit itself fails.
    assert outcome(lambda: verify(headers, now=NOW + 40)) == "expired"
    assert events[-1]["type"] == "verify_failed"
    assert events[-1]["code"] == "expired"
    assert auth.cache_counts().size == 0
    assert len(signatures) == 2


@BOTH
def test_request_rules_run_before_the_cache_on_every_request(request_verifier: Callable[..., VerifyRequest]) -> None:
    auth, _, signatures = verifier(
        TRUSTED_PROXY_TRUSTED_ADDRESSES="10.0.0.0/8", TRUSTED_PROXY_REQUIRED_HEADERS="X-Proxy=edge"
    )
    verify = request_verifier(auth)
    token = KEY.sign(claims())
    good = {HEADER: token, "X-Proxy": "edge"}
    assert outcome(lambda: verify(good, "10.1.2.3", now=NOW)) == "ok"
    assert outcome(lambda: verify(good, "10.1.2.3", now=NOW)) == "ok"
    assert outcome(lambda: verify(good, "192.0.2.1", now=NOW)) == "untrusted_source"
    assert outcome(lambda: verify({HEADER: token}, "10.1.2.3", now=NOW)) == "missing_required_header"
    assert outcome(lambda: verify({**good, "x-proxy": "edge"}, "10.1.2.3", now=NOW)) == "missing_required_header"
    twice = [(HEADER.encode(), token.encode()), (HEADER.lower().encode(), token.encode()), (b"x-proxy", b"edge")]
    assert outcome(lambda: verify(twice, "10.1.2.3", now=NOW)) == "malformed_assertion"
    assert outcome(lambda: verify(good, "10.1.2.3", now=NOW)) == "ok"
    assert auth.cache_counts().hits == 1
    assert len(signatures) == 2


@BOTH
def test_no_assertion_in_mode_optional_is_none_without_any_event(
    request_verifier: Callable[..., VerifyRequest],
) -> None:
    auth, events, _ = verifier(TRUSTED_PROXY_MODE="optional")
    assert request_verifier(auth)([(b"host", b"app.test")], now=NOW) is None
    assert events == []
    assert (auth.cache_counts().hits, auth.cache_counts().misses) == (0, 0)


@BOTH
def test_a_miss_after_the_cache_max_age_verifies_again(request_verifier: Callable[..., VerifyRequest]) -> None:
    auth, _, signatures = verifier(TRUSTED_PROXY_CACHE_MAX_AGE="30")
    verify = request_verifier(auth)
    headers = {HEADER: KEY.sign(claims(iat=NOW, exp=NOW + 600))}
    verify(headers, now=NOW)
    verify(headers, now=NOW)
    verify(headers, now=NOW + 29)
    verify(headers, now=NOW + 31)
    assert len(signatures) == 3
    assert (auth.cache_counts().hits, auth.cache_counts().misses) == (1, 3)


# -- the ASGI middleware -------------------------------------------------------------------------------------


def run_middleware(
    middleware_options: Mapping[str, Any], scope_extra: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One HTTP request through the middleware: the messages sent, and the scope the app saw (None: not called)."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, _receive: Any, send: Any) -> None:
        seen.update(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    auth = verifier()[0]
    middleware = TrustedProxyAuthMiddleware(app, auth, **middleware_options)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/", "client": ("127.0.0.1", 5000), **scope_extra}
    asyncio.run(middleware(scope, receive, send))
    return sent, seen or None


LIVE_HEADERS = [(HEADER.lower().encode(), KEY.sign(claims(iat=NOW - 5, exp=NOW + 10**9)).encode())]


def test_without_a_resolver_the_user_is_the_identity_itself() -> None:
    _, seen = run_middleware({}, {"headers": LIVE_HEADERS})
    assert seen is not None
    state = seen["state"]
    assert isinstance(state[STATE_IDENTITY], Identity)
    assert state[STATE_USER] is state[STATE_IDENTITY]
    assert state[STATE_CHECKED] is True


def test_a_resolver_result_becomes_the_user_and_none_is_forbidden() -> None:
    _, seen = run_middleware({"resolve_user": lambda identity: f"db:{identity.subject}"}, {"headers": LIVE_HEADERS})
    assert seen is not None
    assert seen["state"][STATE_USER] == "db:user-1"
    sent, seen = run_middleware({"resolve_user": lambda _identity: None}, {"headers": LIVE_HEADERS})
    assert seen is None
    assert sent[0]["status"] == 403


def test_the_state_the_server_gave_is_kept_and_a_missing_one_is_made() -> None:
    lifespan_state = {"db": "pool"}
    _, seen = run_middleware({}, {"headers": LIVE_HEADERS, "state": lifespan_state})
    assert seen is not None
    assert seen["state"] is lifespan_state
    assert lifespan_state["db"] == "pool"
    assert isinstance(lifespan_state[STATE_IDENTITY], Identity)
    _, seen = run_middleware({}, {"headers": LIVE_HEADERS})
    assert seen is not None
    assert isinstance(seen["state"][STATE_IDENTITY], Identity)


def test_a_scope_without_headers_is_a_missing_assertion_and_excluded_paths_pass() -> None:
    sent, seen = run_middleware({}, {})
    assert seen is None
    assert sent[0]["status"] == 401
    sent, seen = run_middleware({"exclude_paths": ["/"]}, {})
    assert seen is not None
    assert STATE_CHECKED not in seen.get("state", {})


# -- header lookups by a remembered name ---------------------------------------------------------------------


def reference_header_values(headers: Any, name: str) -> list[str]:
    """The plain definition: every value whose name, read as ISO-8859-1 text, matches case-insensitively."""

    def text(value: object) -> str:
        return value.decode("latin-1") if isinstance(value, bytes) else str(value)

    items = headers.items() if isinstance(headers, Mapping) else headers
    values: list[str] = []
    for key, value in items:
        if not isinstance(key, (str, bytes)) or text(key).lower() != name.lower() or value is None:
            continue
        if isinstance(value, (str, bytes)):
            values.append(text(value))
        elif isinstance(value, (list, tuple)):
            values.extend(text(item) for item in value)
    return values


class ByteName(bytes):
    """A bytes subclass: not the exact type the ASGI fast test expects."""


NAMES = ["X-Assertion", "x-assertion", "Cookie", "\u00c0-Name", "Stra\u00dfe"]
name_texts = st.sampled_from([*NAMES, "X-ASSERTION", "\u00e0-name", "STRASSE", "other"])
header_names = st.one_of(
    name_texts,
    name_texts.map(lambda text: text.encode("latin-1", "replace")),
    name_texts.map(lambda text: ByteName(text.encode("latin-1", "replace"))),
    st.integers(0, 3),
)
single_values = st.one_of(st.text(max_size=4), st.binary(max_size=4), st.none())
header_value = st.one_of(single_values, st.lists(st.text(max_size=3), max_size=2), st.tuples(st.text(max_size=3)))


@settings(max_examples=300, deadline=None)
@given(
    pairs=st.lists(st.tuples(header_names, header_value), max_size=6),
    name=st.sampled_from(NAMES),
    as_mapping=st.booleans(),
)
def test_header_values_agree_with_the_plain_definition(
    pairs: list[tuple[Any, Any]], name: str, as_mapping: bool
) -> None:
    headers: Any = {key: value for key, value in pairs if isinstance(key, str)} if as_mapping else pairs
    assert header_values(headers, name) == reference_header_values(headers, name)
    # The remembered lookup of one name must not leak into another's.
    assert header_values(headers, name.upper()) == reference_header_values(headers, name.upper())


def test_extract_assertion_reads_authorization_by_its_remembered_name_in_any_case() -> None:
    token = KEY.sign(claims())
    for name in ("Authorization", "authorization", "AUTHORIZATION"):
        assert extract_assertion([(b"authorization", f"Bearer {token}".encode())], name) == token
        assert extract_assertion([(b"authorization", b"Bearer ")], name) is None
    assert extract_assertion([(b"x-assertion", b"Bearer abc")], HEADER) == "Bearer abc"


# -- the one-pass read of ASGI's raw header list -------------------------------------------------------------


def assertion_result(headers: Any, name: str) -> tuple[str, str | None]:
    """The assertion found (or "None"), or the error's code and detail."""
    try:
        return repr(extract_assertion(headers, name)), None
    except TrustedProxyAuthError as error:
        return error.code, error.detail


raw_names = st.sampled_from([b"x-assertion", b"X-Assertion", b"X-ASSERTION", b"host", b"x-assertio", b"cookie"])
raw_values = st.sampled_from([b"abc.def.ghi", b" ", b"", b"a,b", b"\xa0tok\xa0", b"Bearer abc", b"\xe9t\xe9"])


@settings(max_examples=400, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.one_of(raw_names, raw_names.map(ByteName), raw_names.map(lambda name: name.decode())),
            st.one_of(raw_values, raw_values.map(lambda value: value.decode("latin-1")), st.none()),
        ),
        max_size=5,
    ),
    name=st.sampled_from(["X-Assertion", "x-assertion", "Authorization"]),
)
def test_the_one_pass_read_of_a_raw_header_list_agrees_with_the_general_path(
    pairs: list[tuple[Any, Any]], name: str
) -> None:
    # A tuple of the same pairs is never read by the one-pass loop (it takes lists only).
    assert assertion_result(pairs, name) == assertion_result(tuple(pairs), name)
    renamed = [(b"authorization" if key == b"x-assertion" else key, value) for key, value in pairs]
    assert assertion_result(renamed, name) == assertion_result(tuple(renamed), name)


# -- the time checks a hit skips -----------------------------------------------------------------------------

times = st.one_of(st.integers(NOW - 10**6, NOW + 10**6), st.floats(NOW - 10**6, NOW + 10**6))


@settings(max_examples=500, deadline=None)
@given(
    exp=times,
    nbf=st.one_of(st.none(), times),
    iat=st.one_of(st.none(), times),
    tolerance=st.integers(0, 600),
    max_age=st.one_of(st.none(), st.integers(1, 10**5)),
    at=times,
)
def test_check_times_passes_everywhere_inside_the_window_a_hit_skips_it_in(
    exp: float, nbf: float | None, iat: float | None, tolerance: int, max_age: int | None, at: float
) -> None:
    env = {"TRUSTED_PROXY_CLOCK_TOLERANCE": str(tolerance)}
    if max_age is not None:
        env["TRUSTED_PROXY_MAX_AGE"] = str(max_age)
    config = load_config(base_env(**env))
    payload = {name: value for name, value in (("nbf", nbf), ("iat", iat)) if value is not None}
    earliest, latest = passing_times(payload, exp, config)
    for moment in (at, earliest, latest):
        if earliest <= moment <= latest:
            check_times(payload, exp, config, moment)  # must not raise
    # The window is not empty for no reason: well inside every bound, it holds the moment.
    bounds_low = [value - tolerance for value in (nbf, iat) if value is not None]
    bounds_high = [exp + tolerance] + ([iat + max_age + tolerance] if iat is not None and max_age is not None else [])
    low, high = max(bounds_low, default=-math.inf), min(bounds_high)
    if high - low > 1:
        middle = (high + low) / 2 if low > -math.inf else high - 1
        assert earliest <= middle <= latest


wide_times = st.floats(-1e18, 1e18, allow_nan=False)


@given(exp=wide_times, nbf=st.one_of(st.none(), wide_times), tolerance=st.integers(0, 600), at=wide_times)
@example(exp=2e16, nbf=1e16 + 2, tolerance=1, at=1e16)  # one float step there is 2 s: a fixed margin is lost
def test_far_from_today_the_window_never_admits_a_moment_check_times_refuses(
    exp: float, nbf: float | None, tolerance: int, at: float
) -> None:
    config = load_config(base_env(TRUSTED_PROXY_CLOCK_TOLERANCE=str(tolerance)))
    payload = {} if nbf is None else {"nbf": nbf}
    earliest, latest = passing_times(payload, exp, config)
    for moment in (at, earliest, latest):
        if earliest <= moment <= latest:
            check_times(payload, exp, config, moment)  # must not raise


def test_a_claim_too_large_for_a_float_leaves_the_window_empty_so_the_checks_run() -> None:
    config = load_config(base_env())
    assert passing_times({"nbf": 10**400}, NOW + 60, config) == (math.inf, -math.inf)


def test_a_hit_outside_the_window_still_fails_its_time_check() -> None:
    auth, _, signatures = verifier(TRUSTED_PROXY_CLOCK_TOLERANCE="0")
    headers = {HEADER: KEY.sign(claims(iat=NOW, exp=NOW + 100))}
    assert outcome(lambda: auth.verify_request(headers, now=NOW)) == "ok"
    assert outcome(lambda: auth.verify_request(headers, now=NOW)) == "ok"
    # Before iat: remembered, but the hit's own check refuses it (and forgets the entry).
    assert outcome(lambda: auth.verify_request(headers, now=NOW - 5)) == "not_yet_valid"
    assert auth.cache_counts().size == 0
    assert len(signatures) == 2


# -- remembered peer verdicts --------------------------------------------------------------------------------


def test_peer_verdicts_are_remembered_both_ways_and_bounded() -> None:
    auth, _, _ = verifier(TRUSTED_PROXY_TRUSTED_ADDRESSES="10.0.0.0/8")
    headers = {HEADER: KEY.sign(claims())}
    for _ in range(3):
        assert outcome(lambda: auth.verify_request(headers, "10.1.2.3", now=NOW)) == "ok"
        assert outcome(lambda: auth.verify_request(headers, "192.0.2.1", now=NOW)) == "untrusted_source"
        assert outcome(lambda: auth.verify_request(headers, None, now=NOW)) == "untrusted_source"
        assert outcome(lambda: auth.verify_request(headers, "::ffff:10.0.0.1", now=NOW)) == "ok"
    for index in range(3000):
        auth.verify_request(headers, f"10.{index // 256}.{index % 256}.1", now=NOW)
    assert len(auth._peer_verdicts) <= 1024
    assert outcome(lambda: auth.verify_request(headers, "192.0.2.1", now=NOW)) == "untrusted_source"
