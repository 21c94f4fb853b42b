"""The key cache: freshness, refresh ahead of expiry, unknown-kid refetch with cooldown, single flight,
backoff, stale serving (with a manual clock and scheduler where timing matters)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from helpers import NOW, JwksResponse, ManualScheduler, MockJwks, base_env, claims, make_key

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth._key_sources.jwks_keys import JwksKeys

KEY_A = make_key("ES256", "a")
KEY_B = make_key("ES256", "b")


def setup(mock: MockJwks, *, start: bool = True, **env: str) -> tuple[TrustedProxyAuth, ManualScheduler]:
    """A verifier on a manual clock; `start`: its background first load is asked for (runs on advance)."""
    manual = ManualScheduler()
    auth = TrustedProxyAuth(
        load_config(base_env(**env)),
        transport=mock.transport,
        async_transport=mock.async_transport,
        clock=manual,
        scheduler=manual,
        random_source=lambda: 0.5,
    )
    if start:
        auth.start()
    return auth, manual


def code(auth: TrustedProxyAuth, token: str) -> str:
    try:
        auth.verify_assertion(token, now=NOW)
    except TrustedProxyAuthError as error:
        return error.code
    return "ok"


def test_start_loads_in_the_background_and_refresh_happens_ahead_of_expiry() -> None:
    mock = MockJwks(JwksResponse.of(KEY_A.public_jwk))
    auth, manual = setup(mock, start=False, TRUSTED_PROXY_JWKS_CACHE_TTL="100")
    token = KEY_A.sign(claims())
    manual.advance(0)
    assert len(mock.requests) == 0, "creating the verifier does no I/O (safe before a fork)"
    assert auth.status().state == "loading"
    auth.start()
    manual.advance(0)
    assert len(mock.requests) == 1
    assert auth.status().state == "ready"
    assert [code(auth, token) for _ in range(3)] == ["ok"] * 3
    assert len(mock.requests) == 1
    manual.advance(84.9)
    assert len(mock.requests) == 1
    manual.advance(0.1)
    assert len(mock.requests) == 2
    assert mock.requests[0].headers["accept"] == "application/jwk-set+json, application/json"


def test_a_request_before_the_first_load_fetches_once() -> None:
    mock = MockJwks(JwksResponse.of(KEY_A.public_jwk))
    auth, manual = setup(mock)
    assert code(auth, KEY_A.sign(claims())) == "ok"
    manual.advance(0)  # the start-up task finds the keys already loaded
    assert len(mock.requests) == 1


def test_cache_control_max_age_shortens_freshness_but_not_below_the_cooldown() -> None:
    mock = MockJwks(JwksResponse.of(KEY_A.public_jwk, **{"cache-control": "public, max-age=5"}))
    auth, manual = setup(mock, TRUSTED_PROXY_JWKS_CACHE_TTL="600", TRUSTED_PROXY_JWKS_COOLDOWN="30")
    manual.advance(0)
    manual.advance(25.4)
    assert len(mock.requests) == 1
    manual.advance(0.1)
    assert len(mock.requests) == 2
    assert code(auth, KEY_A.sign(claims())) == "ok"


def test_unknown_kid_refetches_once_per_cooldown_and_finds_a_rotated_key() -> None:
    mock = MockJwks(JwksResponse.of(KEY_A.public_jwk))
    auth, manual = setup(mock, TRUSTED_PROXY_JWKS_COOLDOWN="30")
    assert code(auth, KEY_A.sign(claims())) == "ok"
    mock.response = JwksResponse.of(KEY_A.public_jwk, KEY_B.public_jwk)
    # a freshly rotated key works at once: the first unknown kid may refetch immediately
    assert code(auth, KEY_B.sign(claims())) == "ok"
    assert len(mock.requests) == 2
    flood = [make_key("ES256", f"random-{i}").sign(claims()) for i in range(20)]
    # the rotation refetch started the cooldown: a flood of random kids costs nothing more
    assert {code(auth, token) for token in flood} == {"unknown_key"}
    assert len(mock.requests) == 2
    manual.advance(30)
    assert code(auth, flood[0]) == "unknown_key"
    assert code(auth, flood[1]) == "unknown_key"
    assert len(mock.requests) == 3
    assert code(auth, KEY_A.sign(claims())) == "ok"


def test_failed_fetches_back_off_in_the_background_and_requests_fail_fast() -> None:
    mock = MockJwks(JwksResponse(status=503, body=""))
    auth, manual = setup(mock)
    token = KEY_A.sign(claims())
    manual.advance(0)
    with pytest.raises(TrustedProxyAuthError) as raised:
        auth.verify_assertion(token, now=NOW)
    assert raised.value.retry_after == 5
    assert auth.status().state == "unavailable"
    assert auth.status().last_error == "HTTP status 503"
    assert len(mock.requests) == 1
    manual.advance(4.9)
    assert code(auth, token) == "jwks_unavailable"
    assert len(mock.requests) == 1
    manual.advance(0.1)
    assert len(mock.requests) == 2
    manual.advance(10)
    assert len(mock.requests) == 3
    mock.response = JwksResponse.of(KEY_A.public_jwk)
    manual.advance(30)
    assert len(mock.requests) == 4
    assert code(auth, token) == "ok"
    assert auth.status().to_dict()["state"] == "ready"


def test_last_good_keys_are_served_through_an_outage_until_max_stale() -> None:
    mock = MockJwks(JwksResponse.of(KEY_A.public_jwk))
    auth, manual = setup(mock, TRUSTED_PROXY_JWKS_CACHE_TTL="60", TRUSTED_PROXY_JWKS_MAX_STALE="120")
    token = KEY_A.sign(claims())
    manual.advance(0)
    mock.response = JwksResponse(status=500, body="")
    manual.advance(61)
    assert code(auth, token) == "ok"
    assert auth.status().state == "stale"
    manual.advance(119)
    assert code(auth, token) == "jwks_unavailable"
    assert auth.status().state == "unavailable"


def test_close_stops_background_work() -> None:
    mock = MockJwks(JwksResponse.of(KEY_A.public_jwk))
    auth, manual = setup(mock)
    manual.advance(0)
    auth.close()
    manual.advance(3600)
    assert len(mock.requests) == 1


def test_timeout_aborts_a_hanging_endpoint() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    manual = ManualScheduler()
    auth = TrustedProxyAuth(load_config(base_env()), transport=httpx.MockTransport(hang), scheduler=manual)
    assert code(auth, KEY_A.sign(claims())) == "jwks_unavailable"
    assert auth.status().last_error == "timed out after 5 s"


def test_concurrent_threads_share_one_fetch() -> None:
    calls = 0
    gate = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        gate.wait(2)
        return httpx.Response(200, json={"keys": [KEY_A.public_jwk]})

    # Waiters give up after the request timeout: the longest there is, so slow threads on a busy machine cannot
    # turn one shared fetch into a timeout.
    auth = TrustedProxyAuth(load_config(base_env(TRUSTED_PROXY_JWKS_TIMEOUT="60")), transport=httpx.MockTransport(slow))
    token = KEY_A.sign(claims())
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(code(auth, token))) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    gate.set()
    for thread in threads:
        thread.join()
    auth.close()
    assert results == ["ok"] * 8
    assert calls == 1


def test_concurrent_tasks_share_one_fetch_without_blocking_the_loop() -> None:
    calls = 0
    # The key endpoint answers only after another task has run 5 times: a verifier that blocked the event loop
    # while fetching would never see the answer (counted turns of the loop, not timed ones).
    loop_kept_running: asyncio.Event | None = None

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        assert loop_kept_running is not None
        await loop_kept_running.wait()
        return httpx.Response(200, json={"keys": [KEY_A.public_jwk]})

    manual = ManualScheduler()  # no background start-up fetch: the requests trigger the one fetch
    auth = TrustedProxyAuth(load_config(base_env()), async_transport=httpx.MockTransport(slow), scheduler=manual)
    token = KEY_A.sign(claims())

    async def run() -> tuple[list[Any], int]:
        nonlocal loop_kept_running
        loop_kept_running = asyncio.Event()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                if ticks == 5:
                    loop_kept_running.set()
                await asyncio.sleep(0)

        running = asyncio.create_task(ticker())
        # The bound only turns a blocked loop into a failure instead of a hang; it never decides a pass.
        identities = await asyncio.wait_for(
            asyncio.gather(*(auth.averify_assertion(token, now=NOW) for _ in range(10))), timeout=60
        )
        running.cancel()
        return list(identities), ticks

    identities, ticks = asyncio.run(run())
    assert len(identities) == 10
    assert calls == 1
    assert ticks >= 5  # the loop kept running while keys were fetched
    # a second event loop (a new asyncio.run) works with the same verifier
    assert asyncio.run(auth.averify_assertion(token, now=NOW)).subject == "user-1"


def test_ready_loads_keys_or_raises() -> None:
    good = MockJwks(JwksResponse.of(KEY_A.public_jwk))
    auth, _ = setup(good)
    auth.ready()
    assert auth.status().key_count == 1
    assert asyncio.run(auth.aready()) is None
    bad, _ = setup(MockJwks(JwksResponse(status=404, body="")))
    with pytest.raises(TrustedProxyAuthError, match="not available"):
        bad.ready()


def test_a_forked_child_gets_a_free_lock_and_no_inherited_background_work() -> None:
    mock = MockJwks(JwksResponse.of(KEY_A.public_jwk))
    auth, manual = setup(mock)
    manual.advance(0)
    assert isinstance(auth._keys, JwksKeys)
    store = auth._keys.store
    store._fetch_lock.acquire()  # held by a thread that a forked child would not have
    store.restart_after_fork()
    assert not store._fetch_lock.locked()
    assert store._timer is None
    assert code(auth, KEY_A.sign(claims())) == "ok"
    manual.advance(601)  # no inherited refresh timer: the child's first request past freshness fetches
    assert len(mock.requests) == 1
    assert code(auth, KEY_A.sign(claims())) == "ok"  # served stale, refresh asked for in the background
    manual.advance(0)
    assert len(mock.requests) == 2


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="os.fork is POSIX only")
# Python 3.12+ warns about fork() in a process with threads, which is the very situation tested here.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_real_fork_keeps_verifying_in_the_child() -> None:
    import os

    mock = MockJwks(JwksResponse.of(KEY_A.public_jwk))
    auth = TrustedProxyAuth(load_config(base_env()), transport=mock.transport)
    token = KEY_A.sign(claims())
    assert code(auth, token) == "ok"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report and leave without running pytest's teardown
        os.close(read)
        os.write(write, code(auth, token).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        assert pipe.read() == "ok"
    os.waitpid(pid, 0)
    auth.close()
