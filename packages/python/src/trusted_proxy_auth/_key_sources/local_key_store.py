"""A key set that is not fetched: inline in the configuration, or a local file re-read when it changes."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from trusted_proxy_auth._detail_text import quoted
from trusted_proxy_auth._events import EventListener, emit
from trusted_proxy_auth._key_fetch import FetchFailure
from trusted_proxy_auth._key_set import KeyMember, unusable_reason
from trusted_proxy_auth._key_set_document import MAX_KEY_SET_BYTES, parse_key_set_document
from trusted_proxy_auth._key_store import KeyState, KeyStatus
from trusted_proxy_auth._local_file import LocalFileError, read_local_file
from trusted_proxy_auth.errors import TrustedProxyAuthError

#: A changed key file is noticed within this time (seconds): its identity (device, inode, size, mtime) is
#: compared at most this often, on use.
KEY_FILE_CHECK_INTERVAL = 1.0


def _file_identity(info: os.stat_result) -> tuple[int, int, int, int]:
    """What identifies one version of the file: a rename over it changes the inode, an edit in place mtime or size."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


class LocalKeyStore:
    """`jwks` (fixed members, checked by `load_config`) or `jwksFile` (read on first use,
    re-read when its identity changes, checked at most once per KEY_FILE_CHECK_INTERVAL). The same key usability
    rules as a fetched set apply. A file that cannot be used (missing, unreadable, over 1 MiB, not a key set,
    private key material) makes every lookup raise `jwks_unavailable`, its detail naming the file and the
    cause (`key file "<path>": not found`), exactly as the TypeScript core words it. Nothing is fetched in flight,
    so there is no stale period: replace the file atomically (write, then rename)."""

    def __init__(
        self,
        *,
        path: str | None = None,
        members: Sequence[Mapping[str, Any]] | None = None,
        on_event: EventListener | None = None,
        clock: Callable[[], float],
    ) -> None:
        self._path = path
        self._on_event = on_event
        self._clock = clock
        self._members: list[KeyMember] = []
        self._loaded = False
        self._identity: tuple[int, int, int, int] | None = None
        self._checked_at = float("-inf")
        self._last_error: str | None = None
        self._last_read_at: float | None = None
        self._success_at: float | None = None
        self._read_count = 0
        self._ignored = 0
        if members is not None:
            self._install(members)

    # -- what JwksKeys uses --------------------------------------------------------------------------

    def start(self) -> None:
        self._check(force=True)

    def close(self) -> None:
        """Nothing runs in the background."""

    def load(self, timeout: float | None = None) -> None:
        """Reads the file now; raises jwks_unavailable naming the cause when it cannot be used."""
        self._check(force=True)
        if not self._loaded:
            raise self._unavailable()

    async def aload(self, timeout: float | None = None) -> None:
        self.load(timeout)

    def status(self) -> KeyStatus:
        """The key set as of the last check; a file is checked first (at most once a second), so that a
        remembered verification is not reused after the file changed."""
        self._check(force=False)
        state: KeyState = "ready" if self._loaded else "loading" if self._last_error is None else "unavailable"
        return KeyStatus(
            state=state,
            key_count=len(self._members),
            last_fetch_at=self._last_read_at,
            last_success_at=self._success_at,
            last_error=self._last_error,
            next_retry_at=None,
            fetch_count=self._read_count,
        )

    def freshness(self) -> tuple[bool, float | None]:
        """(`status().state == "ready"`, `status().last_success_at`), asked on every cache hit: the file is checked
        first (at most once a second), so a remembered verification is not reused after the file changed."""
        self._check(force=False)
        return self._loaded, self._success_at

    def members_for(self, kid: str | None) -> list[KeyMember]:
        """The usable members published with `kid` (all of them without a kid); raises jwks_unavailable."""
        self._check(force=False)
        if not self._loaded:
            raise self._unavailable()
        return list(self._members) if kid is None else [member for member in self._members if member.kid == kid]

    async def amembers_for(self, kid: str | None) -> list[KeyMember]:
        return self.members_for(kid)

    def refetch_for_kidless_assertion(self) -> None:
        """A kid-less assertion found no key: the file may have just been replaced (still throttled)."""
        self._check(force=False)

    async def arefetch_for_kidless_assertion(self) -> None:
        self._check(force=False)

    # -- internals ------------------------------------------------------------------------------------

    def _unavailable(self) -> TrustedProxyAuthError:
        return TrustedProxyAuthError(
            "jwks_unavailable", retry_after=1, detail=self._last_error or "no key set loaded yet"
        )

    def _check(self, *, force: bool) -> None:
        path = self._path
        if path is None:
            return
        at = self._clock()
        if not force and at - self._checked_at < KEY_FILE_CHECK_INTERVAL:
            return
        self._checked_at = at
        try:
            try:
                info = os.stat(path)
            except FileNotFoundError:
                raise FetchFailure("not found") from None
            except OSError:
                raise FetchFailure("cannot be read") from None
            identity = _file_identity(info)
            if identity == self._identity:
                return
            if not stat.S_ISREG(info.st_mode):
                raise FetchFailure("cannot be read")
            if info.st_size > MAX_KEY_SET_BYTES:
                raise FetchFailure(f"larger than {MAX_KEY_SET_BYTES} bytes")
            try:
                # Checked again on the opened file (it may have been swapped for a FIFO or a larger one since).
                body = read_local_file(path, MAX_KEY_SET_BYTES)
            except LocalFileError as error:
                raise FetchFailure(error.reason) from None
            self._read_count += 1
            self._last_read_at = at
            self._install(parse_key_set_document(body))
        except FetchFailure as failure:
            reason = f"key file {quoted(path)}: {failure.reason}"
            self._members = []
            self._loaded = False
            self._identity = None
            if self._last_error != reason:
                emit(
                    self._on_event,
                    {"type": "jwks_fetch_failed", "url": path, "duration_ms": 0, "reason": failure.reason},
                )
            self._last_error = reason
            return
        self._identity = identity
        self._success_at = at
        self._last_error = None
        emit(
            self._on_event,
            {
                "type": "jwks_fetch_ok",
                "url": path,
                "duration_ms": 0,
                "key_count": len(self._members),
                "ignored_count": self._ignored,
            },
        )

    def _install(self, keys: Sequence[Mapping[str, Any]]) -> None:
        members: list[KeyMember] = []
        self._ignored = 0
        for jwk in keys:
            reason = unusable_reason(jwk)
            if reason is None:
                members.append(KeyMember(jwk))
            else:
                self._ignored += 1
                kid = jwk.get("kid")
                emit(
                    self._on_event,
                    {"type": "jwks_key_ignored", "kid": kid if isinstance(kid, str) else None, "reason": reason},
                )
        self._members = members
        self._loaded = True
