"""Keys published one PEM per kid (preset aws-alb; contract/presets.json `jwksUrlRules.kidTemplate`).

Each kid is cached on its own (least recently used evicted beyond 64 kids), refetched when the request that
needs it finds it past freshness, served stale while refetches fail, and fetched once for any number of
concurrent callers (threads and event loops alike). Kids not in the cache may start at most 2 fetches per
cooldown, which bounds what a flood of random valid-looking kids can cost. Failures are answered from a
per-kid cooldown; there are no background retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import httpx

from trusted_proxy_auth._events import EventListener, emit
from trusted_proxy_auth._key_fetch import (
    FetchDeadline,
    FetchFailure,
    FetchPlan,
    KeyRequest,
    arun_plan,
    freshness_from,
    run_plan,
)
from trusted_proxy_auth._key_set import KeyMember, fits_algorithm, unusable_reason
from trusted_proxy_auth._key_store import KeyStatus
from trusted_proxy_auth._quirks.kid_uuid import is_uuid_kid
from trusted_proxy_auth.errors import TrustedProxyAuthError

from .candidates import raise_unless_verified, try_candidates
from .pem_public_key import public_jwk_from_pem

if TYPE_CHECKING:
    from trusted_proxy_auth._compact_jws import ParsedCompactJws

MAX_PEM_BYTES = 16 * 1024
MAX_CACHED_KIDS = 64
#: Fetches for kids not in the cache allowed per cooldown.
UNCACHED_FETCHES_PER_COOLDOWN = 2
_MAX_REMEMBERED_MISSES = 1024
_ACCEPT = "application/x-pem-file, text/plain"


@dataclass(frozen=True)
class _CachedKey:
    member: KeyMember
    fresh_until: float


@dataclass(frozen=True)
class _Miss:
    """A kid whose last fetch failed: `not_found` (404/403) or `failed` (anything else), until the cooldown
    passes."""

    kind: Literal["not_found", "failed"]
    until: float
    #: The fetch failure in words, for `TrustedProxyAuthError.detail`.
    reason: str


class _Flight:
    """One fetch of one kid, which threads wait for on an event and coroutines on a future of their loop."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def finish(self) -> None:
        with self._lock:
            self.done.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed meanwhile
                loop.call_soon_threadsafe(_resolve, future)

    def future(self) -> asyncio.Future[None] | None:
        """A future of the running loop that completes with the fetch; None when it is already done."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.done.is_set():
                return None
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, future))
            return future


def _after_fork(reference: weakref.ref[KidTemplateKeyStore]) -> None:
    store = reference()
    if store is not None:
        store.restart_after_fork()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass(frozen=True)
class _Plan:
    """What a request for one kid does next: use `member`, or wait for `flight` (and run it if `owner`)."""

    member: KeyMember | None = None
    flight: _Flight | None = None
    owner: bool = False


class KidTemplateKeyStore:
    def __init__(
        self,
        template: str,
        *,
        timeout: float,
        cache_ttl: float,
        cooldown: float,
        max_stale: float,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        on_event: EventListener | None = None,
    ) -> None:
        #: The key URL with `{kid}` where the assertion's kid goes.
        self._template = template
        self._timeout = timeout
        self._cache_ttl = cache_ttl
        self._cooldown = cooldown
        self._max_stale = max_stale
        self._clock = clock
        self._transport = transport
        self._async_transport = async_transport
        self._on_event = on_event
        self._keys: OrderedDict[str, _CachedKey] = OrderedDict()
        self._misses: dict[str, _Miss] = {}
        self._inflight: dict[str, _Flight] = {}
        self._uncached_fetch_starts: list[float] = []
        self._fetch_count = 0
        self._last_fetch_at: float | None = None
        self._last_success_at: float | None = None
        self._last_error: str | None = None
        # Guards the maps above for short decisions; never held during a fetch or an event callback.
        self._lock = threading.Lock()
        #: The process these flights and locks belong to; a fork that skips the at-fork hooks (uWSGI forks
        #: from C) is noticed on first use instead.
        self._pid = os.getpid()
        if hasattr(os, "register_at_fork"):
            # A forked child (gunicorn --preload) has none of the parent's fetch threads: it must not wait
            # for their flights or a lock one of them held.
            reference = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _after_fork(reference))

    def restart_after_fork(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._inflight = {}

    def _ensure_process(self) -> None:
        if self._pid != os.getpid():
            self.restart_after_fork()

    def freshness(self) -> tuple[bool, float | None]:
        # Always ready, like status().
        return True, self._last_success_at

    def status(self) -> KeyStatus:
        # Nothing can be loaded before an assertion names a kid, so the store is always ready.
        return KeyStatus(
            state="ready",
            key_count=len(self._keys),
            last_fetch_at=self._last_fetch_at,
            last_success_at=self._last_success_at,
            last_error=self._last_error,
            next_retry_at=None,
            fetch_count=self._fetch_count,
        )

    def key_for(self, kid: str) -> KeyMember:
        """The key published for `kid` (a UUID); raises unknown_key or jwks_unavailable."""
        self._ensure_process()
        plan = self._plan(kid)
        if plan.member is not None:
            return plan.member
        assert plan.flight is not None
        if plan.owner:
            self._fetch(kid, plan.flight)
        else:
            plan.flight.done.wait(self._timeout + 1)
        return self._after_fetch(kid)

    async def akey_for(self, kid: str) -> KeyMember:
        self._ensure_process()
        plan = self._plan(kid)
        if plan.member is not None:
            return plan.member
        assert plan.flight is not None
        if plan.owner:
            await self._afetch(kid, plan.flight)
        else:
            future = plan.flight.future()
            if future is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(future, self._timeout + 1)
        return self._after_fetch(kid)

    # -- decisions ----------------------------------------------------------------------------------

    def _emit(self, event: dict[str, Any]) -> None:
        emit(self._on_event, event)

    def _plan(self, kid: str) -> _Plan:
        events: list[dict[str, Any]] = []
        try:
            with self._lock:
                return self._plan_locked(kid, events)
        finally:
            for event in events:
                self._emit(event)

    def _plan_locked(self, kid: str, events: list[dict[str, Any]]) -> _Plan:
        now = self._clock()
        cached = self._touch(kid)
        if cached is not None and now < cached.fresh_until:
            return _Plan(member=cached.member)
        miss = self._misses.get(kid)
        if miss is not None and now < miss.until:
            return _Plan(member=self._answer_from_miss(kid, miss, now, events))
        flight = self._inflight.get(kid)
        if cached is None and flight is None and not self._may_fetch_uncached(now):
            events.append({"type": "unknown_kid", "kid": kid, "refetched": False})
            raise TrustedProxyAuthError("unknown_key")
        if cached is None:
            events.append({"type": "unknown_kid", "kid": kid, "refetched": True})
        if flight is not None:
            return _Plan(flight=flight)
        flight = _Flight()
        self._inflight[kid] = flight
        return _Plan(flight=flight, owner=True)

    def _after_fetch(self, kid: str) -> KeyMember:
        events: list[dict[str, Any]] = []
        try:
            with self._lock:
                after = self._clock()
                fetched = self._keys.get(kid)
                if fetched is not None and after < fetched.fresh_until:
                    return fetched.member
                miss = self._misses.get(kid)
                if miss is not None:
                    return self._answer_from_miss(kid, miss, after, events)
                raise self._unavailable(after, after + self._cooldown, self._last_error or "key fetch failed")
        finally:
            for event in events:
                self._emit(event)

    def _touch(self, kid: str) -> _CachedKey | None:
        """The cached key, marked most recently used."""
        cached = self._keys.get(kid)
        if cached is not None:
            self._keys.move_to_end(kid)
        return cached

    def _answer_from_miss(self, kid: str, miss: _Miss, now: float, events: list[dict[str, Any]]) -> KeyMember:
        if miss.kind == "not_found":
            raise TrustedProxyAuthError("unknown_key")
        cached = self._keys.get(kid)
        if cached is not None and now < cached.fresh_until + self._max_stale:
            events.append({"type": "jwks_stale_served", "age_seconds": round(now - cached.fresh_until)})
            return cached.member
        raise self._unavailable(now, miss.until, miss.reason)

    @staticmethod
    def _unavailable(now: float, until: float, detail: str) -> TrustedProxyAuthError:
        return TrustedProxyAuthError("jwks_unavailable", retry_after=max(1, math.ceil(until - now)), detail=detail)

    def _may_fetch_uncached(self, now: float) -> bool:
        self._uncached_fetch_starts = [at for at in self._uncached_fetch_starts if now - at < self._cooldown]
        if len(self._uncached_fetch_starts) >= UNCACHED_FETCHES_PER_COOLDOWN:
            return False
        self._uncached_fetch_starts.append(now)
        return True

    # -- fetching -----------------------------------------------------------------------------------

    def _begin(self, kid: str) -> tuple[KeyRequest, float]:
        # The kid holds only hex digits and `-` (kidUuid), so it is inserted as received.
        url = self._template.replace("{kid}", kid)
        started = self._clock()
        with self._lock:
            self._fetch_count += 1
            self._last_fetch_at = started
        return KeyRequest(url, self._timeout, MAX_PEM_BYTES, _ACCEPT), started

    def _fetch_plan(self, kid: str, flight: _Flight) -> FetchPlan[None]:
        """One kid's fetch and what its answer means, without I/O (run by `run_plan` or `arun_plan`)."""
        request, started = self._begin(kid)
        try:
            response = yield request, FetchDeadline(request.timeout)
            self._succeeded(kid, request.url, public_jwk_from_pem(response.body, kid), response.cache_control, started)
        except FetchFailure as failure:
            self._failed(kid, request.url, failure, started)
        except Exception:  # noqa: BLE001 - whatever went wrong, no key was obtained
            self._failed(kid, request.url, FetchFailure("request failed"), started)
        finally:
            self._land(kid, flight)

    def _fetch(self, kid: str, flight: _Flight) -> None:
        run_plan(self._fetch_plan(kid, flight), self._transport)

    async def _afetch(self, kid: str, flight: _Flight) -> None:
        await arun_plan(self._fetch_plan(kid, flight), self._async_transport)

    def _land(self, kid: str, flight: _Flight) -> None:
        with self._lock:
            if self._inflight.get(kid) is flight:
                del self._inflight[kid]
        flight.finish()

    def _succeeded(self, kid: str, url: str, jwk: dict[str, Any], cache_control: str | None, started: float) -> None:
        now = self._clock()
        entry = _CachedKey(KeyMember(jwk), now + freshness_from(cache_control, self._cache_ttl, self._cooldown))
        with self._lock:
            self._misses.pop(kid, None)
            self._keys.pop(kid, None)
            self._keys[kid] = entry
            while len(self._keys) > MAX_CACHED_KIDS:
                self._keys.popitem(last=False)
            self._last_success_at = now
            self._last_error = None
        self._emit(
            {
                "type": "jwks_fetch_ok",
                "url": url,
                "duration_ms": round((now - started) * 1000),
                "key_count": 1,
                "ignored_count": 0,
            }
        )

    def _failed(self, kid: str, url: str, failure: FetchFailure, started: float) -> None:
        now = self._clock()
        not_found = failure.status in (404, 403)
        with self._lock:
            if not_found:
                # A withdrawn key is not served stale: the publisher says it no longer exists.
                self._keys.pop(kid, None)
            self._remember(
                kid, _Miss("not_found" if not_found else "failed", now + self._cooldown, failure.reason), now
            )
            self._last_error = failure.reason
        self._emit(
            {
                "type": "jwks_fetch_failed",
                "url": url,
                "duration_ms": round((now - started) * 1000),
                "reason": failure.reason,
            }
        )

    def _remember(self, kid: str, miss: _Miss, now: float) -> None:
        if len(self._misses) >= _MAX_REMEMBERED_MISSES:
            self._misses = {other: entry for other, entry in self._misses.items() if entry.until > now}
            if len(self._misses) >= _MAX_REMEMBERED_MISSES:
                self._misses.clear()
        self._misses[kid] = miss


class KidTemplateKeys:
    """Stages key_lookup and signature for keys published one per kid."""

    def __init__(self, store: KidTemplateKeyStore) -> None:
        self.store = store

    def start(self) -> None:
        return

    def load(self, timeout: float | None = None) -> None:
        return

    async def aload(self, timeout: float | None = None) -> None:
        return

    def status(self) -> KeyStatus:
        return self.store.status()

    def freshness(self) -> tuple[bool, float | None]:
        return self.store.freshness()

    def close(self) -> None:
        return

    @staticmethod
    def _checked_kid(kid: str | None) -> str:
        # Only a UUID may reach the key URL (quirk kidUuid); checked again here because this is where it matters.
        if kid is None or not is_uuid_kid(kid):
            raise TrustedProxyAuthError("unknown_key")
        return kid

    @staticmethod
    def _verify_with(member: KeyMember, jws: ParsedCompactJws, alg: str) -> None:
        if unusable_reason(member.jwk) is not None or not fits_algorithm(member.jwk, alg):
            raise TrustedProxyAuthError("unknown_key")
        raise_unless_verified(try_candidates(jws, alg, [member]))

    def verify(self, jws: ParsedCompactJws, alg: str, kid: str | None) -> None:
        self._verify_with(self.store.key_for(self._checked_kid(kid)), jws, alg)

    async def averify(self, jws: ParsedCompactJws, alg: str, kid: str | None) -> None:
        self._verify_with(await self.store.akey_for(self._checked_kid(kid)), jws, alg)
