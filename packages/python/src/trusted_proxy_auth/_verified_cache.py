"""The verified-assertion cache (setting `cache_size`): remembered successes of one verifier."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from cachetools import LRUCache

from ._cache_admission import CacheAdmission
from .claims import check_times
from .config import TrustedProxyAuthConfig
from .errors import TrustedProxyAuthError
from .identity import Identity


class CachedVerification(NamedTuple):
    """One remembered verification: the identity, the key set state it was verified under
    (`key_generation`: the key source's last successful load), and until when (seconds since the
    epoch) it may be reused at most. A named tuple: built on every cache miss, and cheaper to build than a
    frozen dataclass."""

    identity: Identity
    key_generation: float | None
    reusable_until: float
    #: The issuer entry (option `issuers` position; 0 with one key source) whose keys verified it.
    issuer_entry: int = 0
    #: `claims.passing_times` under that entry's configuration: within them a hit skips `check_times` (it would
    #: pass); by default empty, so it always runs.
    times_pass_from: float = math.inf
    times_pass_until: float = -math.inf


@dataclass(frozen=True, slots=True)
class CacheCounts:
    """Entries held now (never more than the configured size), hits and misses so far."""

    size: int
    hits: int
    misses: int


#: Admission slots per cache entry: a first success stays on record while about four times the cache's
#: size of other assertions pass.
_ADMISSION_SLOTS_PER_ENTRY = 4


class VerifiedAssertionCache:
    """A bounded LRU (cachetools) keyed by the exact assertion text, which takes an assertion in from its
    second success (`CacheAdmission`). The verifier decides what a hit still has to pass; this only
    remembers successes and counts. Thread-safe (WSGI servers verify from many threads)."""

    def __init__(self, max_entries: int) -> None:
        self._entries: LRUCache[str, CachedVerification] = LRUCache(maxsize=max_entries)
        self._admission = CacheAdmission(max_entries * _ADMISSION_SLOTS_PER_ENTRY)
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        # The assertion the last lookup found and its entry: a proxy that resends one assertion (a session's
        # page and its API calls) meets it again next, and comparing the text spares hashing it (hundreds of
        # characters, a new string on every request) and the LRU's bookkeeping. Always an entry the LRU still
        # holds: cleared whenever an entry is dropped or stored (an eviction happens only on a store).
        self._last_found: tuple[str, CachedVerification] | None = None

    def lookup(
        self,
        token: str,
        at: float,
        freshness: Sequence[tuple[bool, float | None]],
        unit_configs: Sequence[TrustedProxyAuthConfig],
    ) -> CachedVerification | None:
        """The remembered verification of `token` if it may answer at `at` (seconds), counted as a hit: within
        its reuse limit, its issuer entry's key set fresh and not reloaded since (`freshness`: each entry's
        `(ready, last_success_at)`, asked beforehand), and exp/nbf/iat/max age passing under that entry's
        configuration (`unit_configs`). Else None, counted as a miss (an unusable entry is forgotten); a time
        check failing forgets the entry, counts neither as a hit nor as a miss (its verification failed), and
        raises its TrustedProxyAuthError.

        Found, decided and counted under one lock, so `hits` and `misses` only ever grow: counting the lookup
        first and the miss after it showed another thread (a metrics scrape) a miss as a hit until the miss
        was recorded, and the hit count then fell back. Only computation runs under the lock: no clock, key
        source or hook, which could come back to this cache."""
        # acquire/release rather than `with`: cheaper, and every request takes this lock once.
        lock = self._lock
        lock.acquire()
        try:
            last_found = self._last_found
            if last_found is not None and last_found[0] == token:
                entry = last_found[1]
            else:
                # get, not indexing: a miss (every assertion minted per request) then raises no KeyError, whose
                # raising and catching cost a distinct verification about 2 µs.
                found = self._entries.get(token)
                if found is None:
                    self._misses += 1
                    return None
                entry = found
                self._last_found = (token, entry)
            identity, key_generation, reusable_until, unit, times_pass_from, times_pass_until = entry
            ready, last_success_at = freshness[unit]
            if at >= reusable_until or not ready or last_success_at != key_generation:
                self._drop(token)
                self._misses += 1
                return None
            if not times_pass_from <= at <= times_pass_until:
                try:
                    check_times(identity.claims, identity.expires_at, unit_configs[unit], at)
                except TrustedProxyAuthError:
                    self._drop(token)
                    raise
            self._hits += 1
            return entry
        finally:
            lock.release()

    def may_hold(self, token: str) -> bool:
        """Whether `token` may have an entry, peeked without the lock (one dict membership test, atomic under
        the GIL): False lets the caller count a miss with `miss()` and skip the key-set freshness probes and the
        clock that `lookup` needs. A race with a store only turns a would-be hit into a miss (a full
        verification), never the reverse: `lookup` decides every True under the lock."""
        last_found = self._last_found
        return (last_found is not None and last_found[0] == token) or token in self._entries

    def miss(self) -> None:
        """Counts a miss decided by `may_hold`."""
        lock = self._lock
        lock.acquire()
        try:
            self._misses += 1
        finally:
            lock.release()

    def _drop(self, token: str) -> None:
        """Forgets `token`'s entry (the lock held)."""
        del self._entries[token]
        self._last_found = None

    def admits(self, token: str) -> bool:
        """Whether a success of `token` is to be remembered now: true when it succeeded before; else the
        success is noted and false returned (the caller then builds nothing)."""
        # acquire/release rather than `with`, as in lookup: every full verification asks once.
        lock = self._lock
        lock.acquire()
        try:
            return self._admission.seen_before(token)
        finally:
            lock.release()

    def remember(self, token: str, entry: CachedVerification) -> None:
        """Remembers an admitted success (`admits`)."""
        with self._lock:
            self._entries[token] = entry
            # Storing may have evicted the entry the last lookup found, or replaced it.
            self._last_found = None

    def counts(self) -> CacheCounts:
        with self._lock:
            return CacheCounts(size=len(self._entries), hits=self._hits, misses=self._misses)
