"""The verified-assertion cache (TRUSTED_PROXY_CACHE_SIZE): what a hit still checks, what drops an entry,
the bound. Times are given explicitly (`now=`) and the key cache runs on a manual clock."""

from __future__ import annotations

import asyncio
from typing import Any

from helpers import HEADER, NOW, JwksResponse, ManualScheduler, MockJwks, base_env, claims, make_key, outcome

from trusted_proxy_auth import TrustedProxyAuth, load_config
from trusted_proxy_auth._verified_cache import CachedVerification, VerifiedAssertionCache

KEY = make_key("ES256", "cache-1")


def verifier(
    mock: MockJwks | None = None, **env: str
) -> tuple[TrustedProxyAuth, MockJwks, ManualScheduler, list[dict[str, Any]]]:
    mock = mock or MockJwks(JwksResponse.of(KEY.public_jwk))
    clock = ManualScheduler()
    events: list[dict[str, Any]] = []
    auth = TrustedProxyAuth(
        load_config(base_env(**env)),
        transport=mock.transport,
        async_transport=mock.async_transport,
        scheduler=clock,
        clock=clock,
        on_event=events.append,
    )
    return auth, mock, clock, events


def test_a_repeat_is_answered_from_the_cache_from_its_third_use_and_counted() -> None:
    auth, _, _, events = verifier()
    token = KEY.sign(claims())
    auth.verify_assertion(token, now=NOW)
    # Taken in at its second success, not its first.
    assert (auth.cache_counts().size, auth.cache_counts().misses) == (0, 1)
    second = auth.verify_assertion(token, now=NOW + 1)
    assert (auth.cache_counts().size, auth.cache_counts().misses) == (1, 2)
    third = auth.verify_assertion(token, now=NOW + 2)
    fourth = asyncio.run(auth.averify_assertion(token, now=NOW + 3))
    assert third is second
    assert fourth is second
    assert auth.cache_counts().hits == 2
    assert auth.cache_counts().misses == 2
    assert [event["cached"] for event in events if event["type"] == "verify_ok"] == [False, False, True, True]


def test_exp_nbf_and_max_age_are_checked_again_on_every_hit() -> None:
    auth, *_ = verifier(TRUSTED_PROXY_CLOCK_TOLERANCE="0", TRUSTED_PROXY_MAX_AGE="100")
    token = KEY.sign(claims(iat=NOW, exp=NOW + 300))
    assert outcome(lambda: auth.verify_assertion(token, now=NOW)) == "ok"
    assert outcome(lambda: auth.verify_assertion(token, now=NOW)) == "ok"
    assert auth.cache_counts().size == 1
    assert outcome(lambda: auth.verify_assertion(token, now=NOW + 101)) == "expired"
    assert auth.cache_counts().size == 0
    not_yet = KEY.sign(claims(nbf=NOW + 50))
    assert outcome(lambda: auth.verify_assertion(not_yet, now=NOW + 60)) == "ok"
    assert outcome(lambda: auth.verify_assertion(not_yet, now=NOW + 60)) == "ok"
    assert auth.cache_counts().size == 1
    assert outcome(lambda: auth.verify_assertion(not_yet, now=NOW + 10)) == "not_yet_valid"
    # The refused entry is gone, and counted neither as a hit nor as a miss.
    counts = auth.cache_counts()
    assert (counts.size, counts.hits, counts.misses) == (0, 0, 5)


def test_expired_after_exp_and_forgotten_after_the_cache_max_age() -> None:
    auth, *_ = verifier(TRUSTED_PROXY_CLOCK_TOLERANCE="5", TRUSTED_PROXY_CACHE_MAX_AGE="30")
    token = KEY.sign(claims(iat=NOW, exp=NOW + 60))
    auth.verify_assertion(token, now=NOW)
    auth.verify_assertion(token, now=NOW)
    auth.verify_assertion(token, now=NOW + 29)
    assert (auth.cache_counts().hits, auth.cache_counts().misses) == (1, 2)
    auth.verify_assertion(token, now=NOW + 31)
    assert (auth.cache_counts().size, auth.cache_counts().hits, auth.cache_counts().misses) == (1, 1, 3)
    assert outcome(lambda: auth.verify_assertion(token, now=NOW + 64)) == "ok"
    assert outcome(lambda: auth.verify_assertion(token, now=NOW + 65)) == "expired"


def test_failures_are_never_remembered() -> None:
    auth, *_ = verifier(TRUSTED_PROXY_ALLOWED_USERS="someone-else")
    token = KEY.sign(claims())
    assert outcome(lambda: auth.verify_assertion(token, now=NOW)) == "forbidden_user"
    assert outcome(lambda: auth.verify_assertion(token, now=NOW)) == "forbidden_user"
    tampered = token[:-4] + "AAAA"
    assert outcome(lambda: auth.verify_assertion(tampered, now=NOW)) == "invalid_signature"
    assert auth.cache_counts().size == 0
    assert auth.cache_counts().hits == 0


def test_request_rules_still_apply_on_a_hit() -> None:
    auth, *_ = verifier(TRUSTED_PROXY_TRUSTED_ADDRESSES="10.0.0.0/8", TRUSTED_PROXY_REQUIRED_HEADERS="X-Proxy=edge")
    token = KEY.sign(claims())
    headers = {HEADER: token, "X-Proxy": "edge"}
    assert outcome(lambda: auth.verify_request(headers, remote_addr="10.1.2.3", now=NOW)) == "ok"
    assert outcome(lambda: auth.verify_request(headers, remote_addr="10.1.2.3", now=NOW)) == "ok"
    assert auth.cache_counts().size == 1
    assert outcome(lambda: auth.verify_request(headers, remote_addr="192.0.2.1", now=NOW)) == "untrusted_source"
    assert (
        outcome(lambda: auth.verify_request({HEADER: token}, remote_addr="10.1.2.3", now=NOW))
        == "missing_required_header"
    )
    assert outcome(lambda: auth.verify_request(headers, remote_addr="10.1.2.3", now=NOW)) == "ok"
    assert auth.cache_counts().hits == 1


def test_a_rotated_out_key_drops_its_entries() -> None:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    auth, _, clock, _ = verifier(mock, TRUSTED_PROXY_JWKS_CACHE_TTL="60")
    auth.ready()
    token = KEY.sign(claims())
    assert outcome(lambda: auth.verify_assertion(token, now=NOW)) == "ok"
    assert outcome(lambda: auth.verify_assertion(token, now=NOW)) == "ok"
    assert auth.cache_counts().size == 1
    mock.response = JwksResponse.of(make_key("ES256", "cache-2").public_jwk)
    clock.advance(61)
    assert outcome(lambda: auth.verify_assertion(token, now=NOW)) == "unknown_key"
    assert auth.cache_counts().size == 0
    assert auth.cache_counts().hits == 0


def test_size_zero_turns_the_cache_off() -> None:
    auth, *_ = verifier(TRUSTED_PROXY_CACHE_SIZE="0")
    token = KEY.sign(claims())
    auth.verify_assertion(token, now=NOW)
    auth.verify_assertion(token, now=NOW)
    assert auth.cache_counts().size == 0
    assert auth.cache_counts().hits == 0


def test_the_cache_holds_at_most_its_size() -> None:
    identity = verifier()[0].verify_assertion(KEY.sign(claims()), now=NOW)
    for size, inserts in ((1_000, 5_000), (10_000, 100_000)):
        cache = VerifiedAssertionCache(size)
        entry = CachedVerification(identity, None, float("inf"))
        for i in range(inserts):
            assert not cache.admits(f"assertion-{i}")
            assert cache.admits(f"assertion-{i}")
            cache.remember(f"assertion-{i}", entry)
        assert cache.counts().size == size
        config = load_config(base_env())
        assert cache.lookup(f"assertion-{inserts - 1}", NOW, ((True, None),), (config,)) is entry
        assert cache.lookup("assertion-0", NOW, ((True, None),), (config,)) is None


def test_the_entry_the_last_lookup_found_answers_again_and_goes_with_the_lru_entry() -> None:
    """A lookup of the assertion the last lookup found skips the LRU; it never answers once the LRU let the
    entry go (eviction, replacement, a dropped entry)."""
    identity = verifier()[0].verify_assertion(KEY.sign(claims()), now=NOW)
    config = load_config(base_env())
    cache = VerifiedAssertionCache(2)

    def look(token: str, freshness: tuple[bool, float | None] = (True, None)) -> CachedVerification | None:
        return cache.lookup(token, NOW, (freshness,), (config,))

    def entry(reusable_until: float = float("inf")) -> CachedVerification:
        return CachedVerification(identity, None, reusable_until)

    def store(token: str, remembered: CachedVerification) -> None:
        cache.admits(token)
        cache.admits(token)
        cache.remember(token, remembered)

    a, b, c = (f"header.payload-of-{name}.{name * 86}" for name in "abc")
    entry_a, entry_b, entry_c = entry(), entry(), entry()
    store(a, entry_a)
    store(b, entry_b)
    assert look(a) is entry_a
    # Found again from a fresh copy of the text, as every request brings; another text is not it.
    assert look("".join(list(a))) is entry_a
    assert look(f"header.payload-of-x.{'a' * 86}") is None
    assert look(a) is entry_a
    # Replaced: the new entry answers, not the one found before.
    entry_a2 = entry()
    cache.remember(a, entry_a2)
    assert look(a) is entry_a2
    # Evicted: b was looked up after a, so storing c pushes a out; a is then not found at all.
    assert look(b) is entry_b
    store(c, entry_c)
    assert cache.counts().size == 2
    assert look(a) is None
    # Dropped for a reloaded key set (a miss): the entry found last is gone too.
    assert look(c) is entry_c
    assert look(c, (True, 1.0)) is None
    assert look(c) is None
    assert cache.counts().size == 1
    assert look(b) is entry_b


def test_only_a_second_success_is_taken_in_so_assertions_seen_once_never_fill_the_cache() -> None:
    auth, *_ = verifier()
    repeated = KEY.sign(claims())
    auth.verify_assertion(repeated, now=NOW)
    auth.verify_assertion(repeated, now=NOW)
    # Assertions that succeed once each, as from a proxy that signs one per request.
    for i in range(200):
        auth.verify_assertion(KEY.sign(claims(jti=f"once-{i}")), now=NOW)
    assert auth.cache_counts().size == 1
    auth.verify_assertion(repeated, now=NOW)
    assert auth.cache_counts().hits == 1


def test_hits_and_misses_only_ever_grow_while_lookups_are_decided() -> None:
    # A reader of cache_counts (a metrics scrape, another WSGI thread) may run at any point of a lookup: here, each
    # time the verifier asks the clock, as it does between finding an entry and deciding whether it may answer.
    scheduler = ManualScheduler()
    seen: list[tuple[int, int]] = []

    def clock() -> float:
        if auth_ref:
            counts = auth_ref[0].cache_counts()
            seen.append((counts.hits, counts.misses))
        return scheduler()

    auth_ref: list[TrustedProxyAuth] = []
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    auth = TrustedProxyAuth(
        load_config(base_env()),
        transport=mock.transport,
        async_transport=mock.async_transport,
        scheduler=scheduler,
        clock=clock,
    )
    token = KEY.sign(claims(iat=NOW, exp=NOW + 100_000))
    auth.verify_assertion(token, now=NOW)
    auth.verify_assertion(token, now=NOW)
    auth_ref.append(auth)
    auth.verify_assertion(token, now=NOW + 1)  # a hit
    # The key set is reloaded: the remembered entry may no longer answer (a miss), then it is verified in full.
    scheduler.advance(10 * 24 * 3600)
    auth.verify_assertion(token, now=NOW + 2)
    assert seen, "the verifier asked the clock during the lookups"
    for earlier, later in zip(seen, [*seen[1:], (auth.cache_counts().hits, auth.cache_counts().misses)], strict=True):
        assert later[0] >= earlier[0], seen
        assert later[1] >= earlier[1], seen
    assert (auth.cache_counts().hits, auth.cache_counts().misses) == (1, 3)


def test_a_miss_on_an_assertion_not_held_asks_no_key_set_and_raises_nothing_inside() -> None:
    # A miss (every assertion minted per request) is decided by a peek: no freshness probe of the key sources, and
    # no KeyError raised and caught inside the LRU (cachetools' __missing__); a held assertion still takes the
    # full lookup, probes included, and the counts are the same either way.
    auth, *_ = verifier()
    probed: list[int] = []
    probe = auth._freshness_probes[0]

    def counting_probe() -> tuple[bool, float | None]:
        probed.append(1)
        return probe()

    auth._freshness_probes = (counting_probe,)
    missing: list[object] = []
    entries = auth._cache._entries  # type: ignore[union-attr]
    real_missing = type(entries).__missing__

    def counting_missing(self: object, key: object) -> object:
        missing.append(key)
        return real_missing(self, key)  # type: ignore[arg-type]

    type(entries).__missing__ = counting_missing  # type: ignore[method-assign]
    try:
        token = KEY.sign(claims())
        headers = [(HEADER.lower().encode(), token.encode())]
        for _ in range(2):
            assert outcome(lambda: auth.verify_assertion(token, now=NOW)) == "ok"
        assert auth._request_hit(headers, "127.0.0.1", now=NOW) is not None
        assert (probed, missing) == ([1], [])
        others = [KEY.sign(claims(sub=f"user-{index}")) for index in range(3)]
        for other in others:
            auth.verify_assertion(other, now=NOW)
        assert auth._request_hit([(HEADER.lower().encode(), others[0].encode())], "127.0.0.1", now=NOW) == others[0]
        assert (probed, missing) == ([1], [])
        assert (auth.cache_counts().hits, auth.cache_counts().misses) == (1, 6)
    finally:
        type(entries).__missing__ = real_missing  # type: ignore[method-assign]


def test_may_hold_is_true_exactly_for_what_the_cache_holds() -> None:
    cache = VerifiedAssertionCache(2)
    assert cache.may_hold("a") is False
    identity: Any = object()
    cache.remember("a", CachedVerification(identity, 1.0, 2.0, 0, 0.0, 1.0))
    assert cache.may_hold("a") is True
    assert cache.may_hold("a" + "") is True
    assert cache.may_hold("b") is False
    cache.miss()
    assert cache.counts().misses == 1
