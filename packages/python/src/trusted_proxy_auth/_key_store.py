"""The key set behind one JWKS URL (configured, or found by OpenID discovery), fetched with httpx (sync
and async) and cached.

Rules shared with the TypeScript key store: only HTTP 200 counts, redirects are never followed, a
request never waits longer than the timeout, the set is fresh for the cache TTL (Cache-Control max-age
honoured between the cooldown and the TTL), an unknown `kid` triggers one refetch per cooldown, one
fetch serves every concurrent caller, failed fetches back off (5 s, 10 s, 30 s, then 60 s), the last good
set is served stale for a bounded time through an outage, and a set publishing private key material is
refused whole. With discovery, a key load first refetches the discovery document when the last good one
is older than the cache TTL; both requests count as fetches. The first load starts in the background when
the verifier is created; refreshes ahead of expiry and retries run on the scheduler (daemon timer threads
by default), so requests only wait for keys when none are usable.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from ._events import EventListener, emit
from ._key_fetch import (
    FetchDeadline,
    FetchFailure,
    FetchPlan,
    KeyRequest,
    KeyResponse,
    arun_plan,
    freshness_from,
    run_plan,
)
from ._key_set import KeyMember, unusable_reason
from ._key_set_document import MAX_KEY_SET_BYTES, parse_key_set_document
from ._key_sources.openid_discovery import MAX_DISCOVERY_DOCUMENT_BYTES, jwks_uri_from_discovery
from ._scheduler import Scheduler, ThreadScheduler
from .errors import TrustedProxyAuthError

MAX_JWKS_BYTES = MAX_KEY_SET_BYTES
_PRIVATE_MATERIAL = "key set publishes private key material"
#: Delays before another fetch is tried after consecutive failures; the last one repeats, so the backoff is
#: capped at 30 s. While no usable key is loaded a request may also fetch, once per cooldown, so keys come
#: back soon after the endpoint does instead of after the backoff.
RETRY_SCHEDULE_SECONDS = (5.0, 10.0, 30.0)
_ACCEPT = "application/jwk-set+json, application/json"
_DISCOVERY_ACCEPT = "application/json"
_MAX_REMEMBERED_MISSES = 10_000

KeyState = Literal["loading", "ready", "stale", "unavailable"]

# Jitter comes from the OS, not the global `random` state: the library must not change an application's
# random sequence (a thread drawing from it breaks seeded code and Hypothesis), and a stateless source keeps
# forked workers (gunicorn --preload) from sharing one jitter sequence and refetching in lockstep.
JITTER = random.SystemRandom()


@dataclass(frozen=True)
class KeyStatus:
    """A snapshot of the key cache for health endpoints; times are seconds since the epoch."""

    state: KeyState
    key_count: int
    last_fetch_at: float | None
    last_success_at: float | None
    last_error: str | None
    next_retry_at: float | None
    fetch_count: int

    def to_dict(self) -> dict[str, Any]:
        """The same shape (camelCase, milliseconds) as the TypeScript `KeyStatus`."""

        def millis(value: float | None) -> int | None:
            return None if value is None else round(value * 1000)

        return {
            "state": self.state,
            "keyCount": self.key_count,
            "lastFetchAt": millis(self.last_fetch_at),
            "lastSuccessAt": millis(self.last_success_at),
            "lastError": self.last_error,
            "nextRetryAt": millis(self.next_retry_at),
            "fetchCount": self.fetch_count,
        }


@dataclass(frozen=True)
class _Download:
    members: list[dict[str, Any]]
    ttl: float


def _deadline_for(request: KeyRequest, limit: FetchDeadline | None) -> FetchDeadline:
    """The fetch's own timeout, shortened when the caller (`ready(timeout)`) waits less."""
    if limit is None:
        return FetchDeadline(request.timeout)
    return FetchDeadline(max(0.0, min(request.timeout, limit.remaining())))


def _before_fork(reference: weakref.ref[KeyStore]) -> None:
    store = reference()
    if store is not None:
        store.hold_for_fork()


def _after_fork_in_parent(reference: weakref.ref[KeyStore]) -> None:
    store = reference()
    if store is not None:
        store.release_after_fork()


def _after_fork(reference: weakref.ref[KeyStore]) -> None:
    store = reference()
    if store is not None:
        with contextlib.suppress(Exception):
            store.restart_after_fork()


class KeyStore:
    def __init__(
        self,
        url: str,
        *,
        discovery_issuer: str | None = None,
        timeout: float,
        cache_ttl: float,
        cooldown: float,
        max_stale: float,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        on_event: EventListener | None = None,
        scheduler: Scheduler | None = None,
        random_source: Callable[[], float] = JITTER.random,
    ) -> None:
        #: The key set URL; with `discovery_issuer`, the discovery document URL that names it.
        self._url = url
        self._discovery_issuer = discovery_issuer
        #: The last good discovery answer: (jwks_uri, when it was fetched).
        self._discovered: tuple[str, float] | None = None
        #: The URL of the request in progress or last made, for events.
        self._request_url = url
        self._timeout = timeout
        self._cache_ttl = cache_ttl
        self._cooldown = cooldown
        self._max_stale = max_stale
        self._clock = clock
        self._transport = transport
        self._async_transport = async_transport
        self._on_event = on_event
        self._scheduler: Scheduler = scheduler if scheduler is not None else ThreadScheduler()
        self._random = random_source

        self._members: list[KeyMember] = []
        self._kids: set[str] = set()
        self._loaded = False
        self._fresh_until = 0.0
        self._success_at: float | None = None
        self._last_fetch_at: float | None = None
        self._last_error: str | None = None
        self._failures = 0
        self._fetch_count = 0
        self._next_retry_at: float | None = None
        self._last_kid_refetch_at = -math.inf
        self._unknown_kids: dict[str, float] = {}
        self._closed = False
        self._timer: object | None = None
        # Bumped when a scheduled task is replaced, so a timer that fires late does nothing.
        self._timer_token = 0
        # Bumped after every fetch; a caller that waited for a fetch sees that another did its work.
        self._generation = 0
        # Held while any fetch (thread or event loop) is in progress: one fetch for every caller.
        self._fetch_lock = threading.Lock()
        self._loop_fetches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[None]] = (
            weakref.WeakKeyDictionary()
        )
        # A background refresh of stale keys has been asked for and has not run yet.
        self._stale_refresh_pending = False
        # Pre-forking servers (gunicorn --preload, uWSGI without lazy-apps, multiprocessing) copy the store
        # into children that have none of its threads. Nothing starts at construction; a fork waits for a
        # fetch under way (so no import lock or socket is copied half-used), and a child starts afresh: by
        # the at-fork hook, or on first use when the pid changed (uWSGI forks from C, without the hooks).
        self._pid = os.getpid()
        self._held_for_fork = False
        if hasattr(os, "register_at_fork"):
            reference = weakref.ref(self)
            os.register_at_fork(
                before=lambda: _before_fork(reference),
                after_in_parent=lambda: _after_fork_in_parent(reference),
                after_in_child=lambda: _after_fork(reference),
            )

    # -- public -----------------------------------------------------------------------------------

    def hold_for_fork(self) -> None:
        """Before a fork: waits (bounded by the timeout) for a fetch under way to finish."""
        self._held_for_fork = self._fetch_lock.acquire(timeout=self._timeout + 1)

    def release_after_fork(self) -> None:
        if self._held_for_fork:
            self._held_for_fork = False
            self._fetch_lock.release()

    def restart_after_fork(self) -> None:
        """Gives a forked child its own lock and no background work; the child's first use fetches what it
        needs and schedules its own refreshes (called automatically)."""
        self._pid = os.getpid()
        self._held_for_fork = False
        self._fetch_lock = threading.Lock()
        self._loop_fetches = weakref.WeakKeyDictionary()
        self._timer = None
        self._timer_token += 1
        self._stale_refresh_pending = False

    def _ensure_process(self) -> None:
        if self._pid != os.getpid():
            self.restart_after_fork()

    def start(self) -> None:
        """Starts the first load in the background (a daemon timer thread); the caller does not wait."""
        self._ensure_process()
        self._schedule(0.0, retry=False)

    def close(self) -> None:
        """Stops background refreshes and retries."""
        self._closed = True
        self._cancel_timer()

    def status(self) -> KeyStatus:
        now = self._clock()
        state: KeyState = "loading"
        if self._loaded:
            state = "ready" if now < self._fresh_until else "stale" if self._usable(now) else "unavailable"
        elif self._failures > 0:
            state = "unavailable"
        return KeyStatus(
            state=state,
            key_count=len(self._members),
            last_fetch_at=self._last_fetch_at,
            last_success_at=self._success_at,
            last_error=self._last_error,
            next_retry_at=self._next_retry_at,
            fetch_count=self._fetch_count,
        )

    def freshness(self) -> tuple[bool, float | None]:
        """(`status().state == "ready"`, `status().last_success_at`), cheaply: asked on every cache hit."""
        return self._loaded and self._clock() < self._fresh_until, self._success_at

    def members_for(self, kid: str | None) -> list[KeyMember]:
        """The usable members published with `kid` (all of them without a kid); raises jwks_unavailable."""
        self._ensure_process()
        self._ensure_usable()
        if kid is not None and kid not in self._kids:
            self._refetch_for_unknown_kid(kid)
        return self._select(kid)

    async def amembers_for(self, kid: str | None) -> list[KeyMember]:
        self._ensure_process()
        await self._aensure_usable()
        if kid is not None and kid not in self._kids:
            await self._arefetch_for_unknown_kid(kid)
        return self._select(kid)

    def load(self, timeout: float | None = None) -> None:
        """Returns once a usable key set is loaded. Without one, fetches now (or waits for the fetch under
        way) and raises jwks_unavailable (`detail`: the cause) as soon as that fetch fails, or when `timeout`
        seconds (default: the fetch timeout) pass first."""
        self._ensure_process()
        limit = FetchDeadline(self._timeout if timeout is None else timeout)
        if not self._usable(self._clock()):
            if self._fetching():
                self._wait_for_fetch(limit.remaining())
            if not self._usable(self._clock()) and limit.remaining() > 0:
                self._refresh(limit=limit)
        if not self._usable(self._clock()):
            raise self._unavailable(self._load_detail(limit))

    async def aload(self, timeout: float | None = None) -> None:
        self._ensure_process()
        limit = FetchDeadline(self._timeout if timeout is None else timeout)
        if not self._usable(self._clock()):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._aload_once(limit), max(0.001, limit.remaining()))
        if not self._usable(self._clock()):
            raise self._unavailable(self._load_detail(limit))

    async def _aload_once(self, limit: FetchDeadline) -> None:
        if not await self._ajoin_fetch():
            await self._arefresh(limit=limit)

    def _load_detail(self, limit: FetchDeadline) -> str | None:
        if limit.remaining() <= 0 or self._fetching():
            return f"no key set loaded within {limit.seconds:g} s"
        return None

    # -- decisions shared by both paths ---------------------------------------------------------

    def _select(self, kid: str | None) -> list[KeyMember]:
        return [member for member in self._members if kid is None or member.kid == kid]

    def _emit(self, event: dict[str, Any]) -> None:
        emit(self._on_event, event)

    def _usable(self, now: float) -> bool:
        return self._loaded and now < self._fresh_until + self._max_stale

    def _next_fetch_at(self) -> float | None:
        """The earliest time a fetch may happen again: the scheduled retry, or a request once the cooldown
        since the last fetch has passed."""
        by_request = None if self._last_fetch_at is None else self._last_fetch_at + self._cooldown
        if self._next_retry_at is None:
            return by_request
        return self._next_retry_at if by_request is None else min(self._next_retry_at, by_request)

    def _unavailable(self, detail: str | None = None) -> TrustedProxyAuthError:
        now = self._clock()
        next_fetch = self._next_fetch_at()
        retry_after = 1 if next_fetch is None else max(1, math.ceil(next_fetch - now))
        if detail is None:
            detail = self._last_error or (
                "the last good key set is past its stale limit" if self._loaded else "no key set loaded yet"
            )
        return TrustedProxyAuthError("jwks_unavailable", retry_after=retry_after, detail=detail)

    def _fetching(self) -> bool:
        return self._fetch_lock.locked()

    def _must_fetch_now(self) -> bool:
        """Decides, without waiting, whether this request needs a fetch before it can be answered.

        Fresh keys: no. Stale but usable keys: the request is answered from them and a refresh starts in
        the background. Nothing usable: fetch now when no retry is scheduled, when the scheduled one is due
        (its timer late), or when the cooldown since the last fetch has passed; otherwise fail fast, so
        requests do not each hammer a broken endpoint yet a recovered one is used within a cooldown.
        """
        now = self._clock()
        if self._loaded and now < self._fresh_until:
            return False
        idle = not self._fetching()
        retry_due = self._next_retry_at is None or now >= self._next_retry_at
        if self._usable(now):
            age = now - (self._success_at if self._success_at is not None else now)
            self._emit({"type": "jwks_stale_served", "age_seconds": round(age)})
            if idle and retry_due and not self._stale_refresh_pending:
                self._stale_refresh_pending = True
                self._schedule(0.0, retry=False)
            return False
        cooldown_over = self._last_fetch_at is None or now - self._last_fetch_at >= self._cooldown
        return retry_due or cooldown_over

    def _kid_refetch_allowed(self, kid: str | None) -> bool:
        """Whether an unknown kid (None: a kid-less assertion no key verified) may trigger a refetch now
        (at most one per cooldown)."""
        now = self._clock()
        known_miss_until = None if kid is None else self._unknown_kids.get(kid)
        if known_miss_until is not None and now < known_miss_until:
            self._emit({"type": "unknown_kid", "kid": kid, "refetched": False})
            return False
        if now - self._last_kid_refetch_at >= self._cooldown:
            self._last_kid_refetch_at = now
            self._emit({"type": "unknown_kid", "kid": kid, "refetched": True})
            return True
        self._emit({"type": "unknown_kid", "kid": kid, "refetched": False})
        return False

    def _remember_miss(self, kid: str) -> None:
        if kid not in self._kids:
            if len(self._unknown_kids) > _MAX_REMEMBERED_MISSES:
                self._unknown_kids.clear()
            self._unknown_kids[kid] = self._last_kid_refetch_at + self._cooldown

    def _begin_fetch(self) -> float:
        started = self._clock()
        self._last_fetch_at = started
        return started

    def _key_set_request(self, url: str) -> KeyRequest:
        self._fetch_count += 1
        self._request_url = url
        return KeyRequest(url, self._timeout, MAX_JWKS_BYTES, _ACCEPT)

    def _discovery_request(self) -> KeyRequest | None:
        """The discovery request a key load must make first, or None when the last good document is recent
        enough (or there is no discovery)."""
        if self._discovery_issuer is None:
            return None
        if self._discovered is not None and self._clock() - self._discovered[1] < self._cache_ttl:
            return None
        self._fetch_count += 1
        self._request_url = self._url
        return KeyRequest(self._url, self._timeout, MAX_DISCOVERY_DOCUMENT_BYTES, _DISCOVERY_ACCEPT)

    def _discovered_key_set_url(self, response: KeyResponse, asked_at: float) -> str:
        assert self._discovery_issuer is not None
        jwks_uri = jwks_uri_from_discovery(response.body, self._discovery_issuer)
        self._discovered = (jwks_uri, asked_at)
        return jwks_uri

    def _key_set_url(self) -> str:
        return self._url if self._discovered is None or self._discovery_issuer is None else self._discovered[0]

    def _jittered(self, nominal: float, spread: float) -> float:
        """`nominal` spread by +-`spread` (a fraction) so that many instances do not refetch in lock step."""
        return nominal * (1 + spread * (2 * self._random() - 1))

    def _succeeded(self, download: _Download, started: float) -> None:
        members: list[KeyMember] = []
        ignored = 0
        for jwk in download.members:
            reason = unusable_reason(jwk)
            if reason is None:
                members.append(KeyMember(jwk))
            else:
                ignored += 1
                kid = jwk.get("kid")
                self._emit({"type": "jwks_key_ignored", "kid": kid if isinstance(kid, str) else None, "reason": reason})
        self._members = members
        self._kids = {member.kid for member in members if member.kid is not None}
        self._unknown_kids.clear()
        self._loaded = True
        self._success_at = self._clock()
        self._fresh_until = self._success_at + download.ttl
        self._failures = 0
        self._last_error = None
        self._emit(
            {
                "type": "jwks_fetch_ok",
                "url": self._request_url,
                "duration_ms": round((self._clock() - started) * 1000),
                "key_count": len(members),
                "ignored_count": ignored,
            }
        )
        self._schedule(max(1.0, self._jittered(download.ttl * 0.85, 0.05)), retry=False)

    def _failed(self, reason: str, started: float) -> None:
        self._failures += 1
        self._last_error = reason
        self._emit(
            {
                "type": "jwks_fetch_failed",
                "url": self._request_url,
                "duration_ms": round((self._clock() - started) * 1000),
                "reason": reason,
            }
        )
        base = RETRY_SCHEDULE_SECONDS[min(self._failures, len(RETRY_SCHEDULE_SECONDS)) - 1]
        self._schedule(self._jittered(base, 0.1), retry=True)

    def _cancel_timer(self) -> None:
        self._timer_token += 1
        if self._timer is not None:
            self._scheduler.cancel(self._timer)
            self._timer = None

    def _schedule(self, delay: float, *, retry: bool) -> None:
        """Replaces the pending background task with a refresh (or retry) after `delay` seconds."""
        if self._closed:
            return
        self._cancel_timer()
        self._next_retry_at = self._clock() + delay if retry else None
        token = self._timer_token

        def run() -> None:
            if token != self._timer_token or self._closed:
                return
            self._timer = None
            self._next_retry_at = None
            self._stale_refresh_pending = False
            # Background work must never raise into a timer thread.
            with contextlib.suppress(Exception):
                self._refresh(timer_token=token)

        self._timer = self._scheduler.call_later(delay, run)

    def _load_plan(self, limit: FetchDeadline | None) -> FetchPlan[_Download]:
        """One key load, without I/O: the discovery document when due, then the key set; each request has
        its own deadline (shortened by `limit`)."""
        discovery = self._discovery_request()
        if discovery is not None:
            asked_at = self._clock()
            self._discovered_key_set_url((yield discovery, _deadline_for(discovery, limit)), asked_at)
        request = self._key_set_request(self._key_set_url())
        return self._parse((yield request, _deadline_for(request, limit)))

    def _parse(self, response: KeyResponse) -> _Download:
        try:
            keys = parse_key_set_document(response.body)
        except FetchFailure as failure:
            if failure.reason == _PRIVATE_MATERIAL:
                # The signing key has leaked: forget the old set too, failing closed.
                self._members = []
                self._kids = set()
                self._loaded = False
            raise
        return _Download(members=keys, ttl=freshness_from(response.cache_control, self._cache_ttl, self._cooldown))

    # -- synchronous path ---------------------------------------------------------------------------

    def _wait_for_fetch(self, at_most: float | None = None) -> None:
        """Waits for the fetch in progress; bounded, so a caller can never hang on a stuck fetch."""
        wait = self._timeout + 1 if at_most is None else max(0.0, min(at_most, self._timeout + 1))
        if self._fetch_lock.acquire(timeout=wait):
            self._fetch_lock.release()

    def _ensure_usable(self) -> None:
        if self._must_fetch_now():
            self._refresh()
        elif not self._usable(self._clock()) and self._fetching():
            self._wait_for_fetch()
        if not self._usable(self._clock()):
            raise self._unavailable()

    def _refetch_for_unknown_kid(self, kid: str) -> None:
        if self._fetching():
            # A fetch is under way: its result is as new as a refetch would be.
            self._wait_for_fetch()
        elif self._kid_refetch_allowed(kid):
            self._refresh()
        self._remember_miss(kid)

    def refetch_for_kidless_assertion(self) -> None:
        """Quirk kidOptionalTryAll: no candidate of a kid-less assertion verified, which after a rotation
        means the new key is not loaded yet. Refetches like an unknown kid: the same cooldown, single flight
        and event."""
        if self._fetching():
            self._wait_for_fetch()
        elif self._kid_refetch_allowed(None):
            self._refresh()

    def _refresh(self, timer_token: int | None = None, limit: FetchDeadline | None = None) -> None:
        """One fetch; a caller that had to wait for another caller's fetch uses that one instead (and a
        timer task that another fetch replaced meanwhile does nothing)."""
        if self._closed:
            return
        generation = self._generation
        wait = self._timeout + 1 if limit is None else max(0.0, limit.remaining())
        if not self._fetch_lock.acquire(timeout=wait):
            return
        try:
            if generation != self._generation or (timer_token is not None and timer_token != self._timer_token):
                return
            started = self._begin_fetch()
            try:
                self._succeeded(run_plan(self._load_plan(limit), self._transport), started)
            except FetchFailure as failure:
                self._failed(failure.reason, started)
            finally:
                self._generation += 1
        finally:
            self._fetch_lock.release()

    # -- asynchronous path (never blocks the event loop) ----------------------------------------

    async def _ajoin_fetch(self) -> bool:
        """Waits for a fetch in progress (in this loop or on a thread); False when there was none."""
        pending = self._loop_fetches.get(asyncio.get_running_loop())
        if pending is not None:
            await asyncio.shield(pending)
            return True
        if self._fetching():
            await asyncio.to_thread(self._wait_for_fetch)
            return True
        return False

    async def _aensure_usable(self) -> None:
        if self._must_fetch_now():
            await self._arefresh()
        elif not self._usable(self._clock()):
            await self._ajoin_fetch()
        if not self._usable(self._clock()):
            raise self._unavailable()

    async def _arefetch_for_unknown_kid(self, kid: str) -> None:
        if not await self._ajoin_fetch() and self._kid_refetch_allowed(kid):
            await self._arefresh()
        self._remember_miss(kid)

    async def arefetch_for_kidless_assertion(self) -> None:
        if not await self._ajoin_fetch() and self._kid_refetch_allowed(None):
            await self._arefresh()

    async def _arefresh(self, limit: FetchDeadline | None = None) -> None:
        if self._closed:
            return
        generation = self._generation
        if await self._ajoin_fetch() or not self._fetch_lock.acquire(blocking=False):
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._loop_fetches[loop] = done
        try:
            if generation != self._generation:
                return
            started = self._begin_fetch()
            try:
                self._succeeded(await arun_plan(self._load_plan(limit), self._async_transport), started)
            except FetchFailure as failure:
                self._failed(failure.reason, started)
            finally:
                self._generation += 1
        finally:
            self._fetch_lock.release()
            self._loop_fetches.pop(loop, None)
            done.set_result(None)
