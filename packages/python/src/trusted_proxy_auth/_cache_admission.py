"""Which successful verifications the verified-assertion cache takes in (a TinyLFU "doorkeeper")."""

from __future__ import annotations


class CacheAdmission:
    """An assertion is remembered from its second success on, never its first. Proxies that resend one
    assertion all session (Cloudflare Access, oauth2-proxy, authentik, Azure) lose one full verification
    per assertion; assertions seen once (minted per request: Envoy, AWS ALB, most gateways) never fill the
    cache, so they cost no insertion, eviction or memory.

    A fixed table of hashes (`slots`, rounded up to a power of two, at least 1,024). Two assertions that
    share a slot overwrite each other (the next sighting counts as a first again); a shared hash lets one
    in early. Neither can change a verdict: only verified successes are offered, and a hit still compares
    the exact assertion text. Not thread-safe on its own: the cache calls it under its lock."""

    __slots__ = ("_hashes", "_mask")

    def __init__(self, slots: int) -> None:
        size = 1024
        while size < slots:
            size *= 2
        self._hashes: list[int] = [0] * size
        self._mask = size - 1

    def seen_before(self, token: str) -> bool:
        """Whether `token` was offered before; records it when not."""
        # str hashes are computed once per string object and randomised per process (PYTHONHASHSEED).
        fingerprint = hash(token) | 1
        slot = (fingerprint >> 7) & self._mask
        if self._hashes[slot] == fingerprint:
            return True
        self._hashes[slot] = fingerprint
        return False
