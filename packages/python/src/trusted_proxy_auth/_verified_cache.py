"""The verified-assertion cache (setting `cache_size`): remembered successes of one verifier."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import NamedTuple

from cachetools import LRUCache

from ._cache_admission import CacheAdmission
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

    def lookup(self, token: str) -> CachedVerification | None:
        """The remembered verification of `token`, if any. Not found: counted as a miss here. Found: counted
        by the caller once it decided, with exactly one of `hit`, `stale` or `refuse`.

        A lookup is counted only once decided, so `hits` and `misses` only ever grow: counting every lookup
        first and deriving hits from it showed another thread (a metrics scrape) a miss as a hit until the
        miss was recorded, and the hit count then fell back. The freshness and time checks between stay
        outside the lock (they ask the key source, which may emit events to application hooks)."""
        with self._lock:
            try:
                return self._entries[token]
            except KeyError:
                self._misses += 1
                return None

    def hit(self) -> None:
        """A looked-up entry answered."""
        with self._lock:
            self._hits += 1

    def stale(self, token: str) -> None:
        """A looked-up entry may no longer answer (key set reloaded, cache maximum age): forgotten, a miss."""
        with self._lock:
            self._misses += 1
            self._entries.pop(token, None)

    def refuse(self, token: str) -> None:
        """A looked-up entry failed the time checks a hit must pass: forgotten, and counted neither as a hit
        nor as a miss (its verification failed)."""
        with self._lock:
            self._entries.pop(token, None)

    def admits(self, token: str) -> bool:
        """Whether a success of `token` is to be remembered now: true when it succeeded before; else the
        success is noted and false returned (the caller then builds nothing)."""
        with self._lock:
            return self._admission.seen_before(token)

    def remember(self, token: str, entry: CachedVerification) -> None:
        """Remembers an admitted success (`admits`)."""
        with self._lock:
            self._entries[token] = entry

    def forget(self, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)

    def counts(self) -> CacheCounts:
        with self._lock:
            return CacheCounts(size=len(self._entries), hits=self._hits, misses=self._misses)
