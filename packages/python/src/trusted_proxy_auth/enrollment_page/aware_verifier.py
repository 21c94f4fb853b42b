"""A verifier whose configuration comes from the enrollment record and changes while the application runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from trusted_proxy_auth._contract import setting_name
from trusted_proxy_auth._key_store import KeyStatus
from trusted_proxy_auth.config import TrustedProxyAuthConfig, load_config
from trusted_proxy_auth.enrollment import EnrollmentRecord, read_enrollment_record
from trusted_proxy_auth.errors import TrustedProxyAuthError
from trusted_proxy_auth.identity import Identity
from trusted_proxy_auth.request_headers import HeadersInput
from trusted_proxy_auth.verifier import TrustedProxyAuth

_NOT_LOADED = KeyStatus("unavailable", 0, None, None, None, None, 0)


@dataclass(frozen=True)
class FailureCount:
    code: str
    count: int
    #: Seconds since the epoch.
    last_at: float


class EnrollmentAwareVerifier:
    """Without a record every verification fails with `not_enrolled` (503, contract/enrollment.json
    `notEnrolled`); `reload()` after the record is written or removed switches to enforcing (a verifier built by
    the same `load_config`, the record as its lowest-precedence source) or back, without a restart."""

    def __init__(
        self,
        *,
        file: str,
        env: Mapping[str, str],
        overrides: Mapping[str, Any],
        mount_path: str,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._file = file
        self._env = env
        self._overrides = overrides
        self._mount_path = mount_path
        self._transport = transport
        self._async_transport = async_transport
        self._clock = clock
        self._lock = threading.Lock()
        self._current: tuple[TrustedProxyAuth, EnrollmentRecord] | None = None
        self._failures: dict[str, tuple[int, float]] = {}
        self.reload()

    @property
    def enrolled(self) -> bool:
        return self._current is not None

    @property
    def record(self) -> EnrollmentRecord | None:
        return None if self._current is None else self._current[1]

    @property
    def config(self) -> TrustedProxyAuthConfig:
        """Raises `not_enrolled` while no record is in force."""
        return self._active().config

    @property
    def problem_detail(self) -> str:
        return "generic" if self._current is None else self._current[0].config.problem_detail

    def reload(self) -> None:
        """Reads the record again and builds the verifier it describes (or none). Raises `invalid_config` when
        the record is invalid or the runtime refuses its settings; the previous state is kept then."""
        record = read_enrollment_record(self._file)
        following: tuple[TrustedProxyAuth, EnrollmentRecord] | None = None
        if record is not None:
            config = load_config({**self._env, setting_name("enrollmentFile"): self._file}, **self._overrides)
            auth = TrustedProxyAuth(config, transport=self._transport, async_transport=self._async_transport)
            following = (auth, record)
        with self._lock:
            previous = self._current
            self._current = following
            self._failures = {}
        if previous is not None:
            previous[0].close()

    def recent_failures(self) -> list[FailureCount]:
        """Rejections per error code since the current enrollment, most frequent first."""
        failures = [FailureCount(code, count, last_at) for code, (count, last_at) in self._failures.items()]
        return sorted(failures, key=lambda failure: (-failure.count, failure.code))

    async def averify_request(self, headers: HeadersInput, remote_addr: str | None) -> Identity | None:
        try:
            return await self._active().averify_request(headers, remote_addr)
        except TrustedProxyAuthError as error:
            if error.code != "not_enrolled":
                count, _ = self._failures.get(error.code, (0, 0.0))
                self._failures[error.code] = (count + 1, self._clock())
            raise

    async def averify_administrator(self, headers: HeadersInput, remote_addr: str | None) -> Identity | None:
        """Verifies without counting a failure (the page's own administrator check)."""
        return await self._active().averify_request(headers, remote_addr)

    def status(self) -> KeyStatus:
        return _NOT_LOADED if self._current is None else self._current[0].status()

    def close(self) -> None:
        if self._current is not None:
            self._current[0].close()

    def _active(self) -> TrustedProxyAuth:
        current = self._current
        if current is None:
            raise TrustedProxyAuthError(
                "not_enrolled",
                detail=f"no enrollment record yet: an administrator enrolls at {self._mount_path} through the proxy",
            )
        return current[0]
