"""One GET for key material (a key set, a discovery document, a PEM key): one set of rules, a sync and an
async driver.

The rules live once, in `FetchDeadline` and `BodyLimit` (no I/O): redirects are never followed (a 3xx is a
failure), anything but 200 fails, a `Content-Length` above the limit is refused before reading, the body is
counted as it arrives and reading stops once it passes the limit, and one deadline covers connect, headers
and the whole body. The drivers only move bytes: the sync one bounds every socket operation by the time
left (a network backend for httpcore), the async one runs the whole exchange under `asyncio.wait_for`.
Every failure becomes a FetchFailure whose reason names the cause in words ("connection refused", "timed
out after 5 s", "HTTP status 404", "response larger than 1048576 bytes", ...) and never key material.
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
import time
import urllib.request
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpcore
import httpx

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE | re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)


class FetchFailure(Exception):
    """Why a key request gave nothing usable; `status` is the HTTP status when the answer was not 200."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class KeyRequest:
    url: str
    #: Seconds for the whole exchange: connect, headers and every byte of the body.
    timeout: float
    #: Largest accepted body in bytes, as received.
    max_bytes: int
    accept: str


@dataclass(frozen=True)
class KeyResponse:
    body: bytes
    cache_control: str | None


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every key request of the process, with httpx's default trust (certifi, or
    SSL_CERT_FILE / SSL_CERT_DIR when set). Building one reads a CA bundle, tens of milliseconds of CPU that
    each fetch (and each case of `verify --batch`) would otherwise pay again."""
    return httpx.create_ssl_context()


def _seconds_text(seconds: float) -> str:
    return f"{round(seconds, 3):g} s"


class FetchDeadline:
    """One deadline for a whole fetch, on the monotonic clock (never the injectable wall clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._end - time.monotonic()

    def failure(self) -> FetchFailure:
        return FetchFailure(f"timed out after {_seconds_text(self.seconds)}")

    def check(self) -> None:
        """Raises FetchFailure once the deadline has passed."""
        if self.remaining() <= 0:
            raise self.failure()


class BodyLimit:
    """The decisions about an answer, made as its parts arrive: status and declared length first, then
    each chunk counted against `max_bytes` (and the deadline) so that nothing past the limit is read."""

    def __init__(self, request: KeyRequest, deadline: FetchDeadline) -> None:
        self._request = request
        self._deadline = deadline
        self._body = bytearray()

    def _too_large(self) -> FetchFailure:
        return FetchFailure(f"response larger than {self._request.max_bytes} bytes")

    def head(self, status: int, content_length: str | None) -> None:
        """Checks the status line and headers, before any of the body is read."""
        self._deadline.check()
        if status != 200:
            raise FetchFailure(f"HTTP status {status}", status)
        declared = None if content_length is None else content_length.strip()
        if declared is not None and _DIGITS.fullmatch(declared) and int(declared) > self._request.max_bytes:
            raise self._too_large()

    def feed(self, chunk: bytes) -> None:
        self._body += chunk
        if len(self._body) > self._request.max_bytes:
            raise self._too_large()
        self._deadline.check()

    def response(self, cache_control: str | None) -> KeyResponse:
        return KeyResponse(bytes(self._body), cache_control)


def _network_cause(error: BaseException) -> str:
    """An httpx error in words, as TypeScript's `networkCause` names them; the exception text is only
    inspected, never passed on (it may echo the URL or server data)."""
    if isinstance(error, httpx.ConnectError):
        text = str(error).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service not known" in text or "nodename" in text or "getaddrinfo" in text:
            return "host not found"
        return "request failed"
    if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "connection closed"
    return "request failed"


def _client_options(request: KeyRequest, deadline: FetchDeadline) -> dict[str, Any]:
    return {
        "verify": _tls_context(),
        "timeout": httpx.Timeout(max(0.001, deadline.remaining())),
        "follow_redirects": False,
        "headers": {"accept": request.accept},
    }


# -- sync driver ------------------------------------------------------------------------------------


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write waits no longer than the time left of the fetch."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: FetchDeadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def _bound(self, timeout: float | None, error: type[Exception]) -> float:
        remaining = self._deadline.remaining()
        if remaining <= 0:
            raise error("the fetch deadline has passed")
        return remaining if timeout is None else min(timeout, remaining)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        upgraded = self._inner.start_tls(ssl_context, server_hostname, self._bound(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(upgraded, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: FetchDeadline) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def _bound(self, timeout: float | None) -> float:
        remaining = self._deadline.remaining()
        if remaining <= 0:
            raise httpcore.ConnectTimeout("the fetch deadline has passed")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, self._bound(timeout), local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.connect_unix_socket(path, self._bound(timeout), socket_options), self._deadline
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool whose sockets obey the fetch deadline."""

    def __init__(self, deadline: FetchDeadline) -> None:
        context = _tls_context()
        super().__init__(verify=context)
        self._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=_DeadlineBackend(deadline))


def _environment_names_a_proxy() -> bool:
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


def _sync_transport(transport: httpx.BaseTransport | None, deadline: FetchDeadline) -> httpx.BaseTransport | None:
    # Behind a proxy from the environment httpx's own transport is kept (it honours HTTP(S)_PROXY); the
    # deadline is then checked between chunks and bounds each read, instead of bounding every socket call.
    if transport is not None or _environment_names_a_proxy():
        return transport
    return _DeadlineTransport(deadline)


def fetch_key_document(
    request: KeyRequest, transport: httpx.BaseTransport | None, deadline: FetchDeadline | None = None
) -> KeyResponse:
    """The answer's body; raises FetchFailure. `deadline` (default: `request.timeout` from now) may be
    shorter, e.g. when `ready(timeout)` waits less than a fetch may take."""
    deadline = deadline if deadline is not None else FetchDeadline(request.timeout)
    limit = BodyLimit(request, deadline)
    try:
        with (
            httpx.Client(
                transport=_sync_transport(transport, deadline), **_client_options(request, deadline)
            ) as client,
            client.stream("GET", request.url) as response,
        ):
            limit.head(response.status_code, response.headers.get("content-length"))
            for chunk in response.iter_bytes():
                limit.feed(chunk)
            return limit.response(response.headers.get("cache-control"))
    except FetchFailure:
        raise
    except httpx.TimeoutException:
        raise deadline.failure() from None
    except Exception as error:  # noqa: BLE001 - whatever went wrong, nothing was obtained
        raise (deadline.failure() if deadline.remaining() <= 0 else FetchFailure(_network_cause(error))) from None


# -- async driver -----------------------------------------------------------------------------------


async def _aexchange(
    request: KeyRequest, transport: httpx.AsyncBaseTransport | None, limit: BodyLimit, deadline: FetchDeadline
) -> KeyResponse:
    async with (
        httpx.AsyncClient(transport=transport, **_client_options(request, deadline)) as client,
        client.stream("GET", request.url) as response,
    ):
        limit.head(response.status_code, response.headers.get("content-length"))
        async for chunk in response.aiter_bytes():
            limit.feed(chunk)
        return limit.response(response.headers.get("cache-control"))


async def afetch_key_document(
    request: KeyRequest, transport: httpx.AsyncBaseTransport | None, deadline: FetchDeadline | None = None
) -> KeyResponse:
    deadline = deadline if deadline is not None else FetchDeadline(request.timeout)
    limit = BodyLimit(request, deadline)
    try:
        # wait_for cancels the exchange (closing its connection) when the deadline passes, whatever it waits on.
        return await asyncio.wait_for(_aexchange(request, transport, limit, deadline), max(0.001, deadline.remaining()))
    except FetchFailure:
        raise
    except (httpx.TimeoutException, asyncio.TimeoutError):
        raise deadline.failure() from None
    except Exception as error:  # noqa: BLE001 - whatever went wrong, nothing was obtained
        raise (deadline.failure() if deadline.remaining() <= 0 else FetchFailure(_network_cause(error))) from None


# -- fetch plans --------------------------------------------------------------------------------------

_Result = TypeVar("_Result")

#: A fetch flow without I/O (the sans-I/O pattern of h11 and httpx): it yields each request with its
#: deadline, is sent the response (or thrown the FetchFailure) and returns its result. The key stores write
#: each flow once; `run_plan` and `arun_plan` are its only sync and async drivers.
FetchPlan = Generator[tuple[KeyRequest, FetchDeadline], KeyResponse, _Result]


def run_plan(plan: FetchPlan[_Result], transport: httpx.BaseTransport | None) -> _Result:
    """Runs `plan` with blocking fetches."""
    try:
        request, deadline = next(plan)
        while True:
            try:
                response = fetch_key_document(request, transport, deadline)
            except FetchFailure as failure:
                request, deadline = plan.throw(failure)
            else:
                request, deadline = plan.send(response)
    except StopIteration as done:
        result: _Result = done.value
        return result


async def arun_plan(plan: FetchPlan[_Result], transport: httpx.AsyncBaseTransport | None) -> _Result:
    """Runs `plan` with fetches that never block the event loop."""
    try:
        request, deadline = next(plan)
        while True:
            try:
                response = await afetch_key_document(request, transport, deadline)
            except FetchFailure as failure:
                request, deadline = plan.throw(failure)
            else:
                request, deadline = plan.send(response)
    except StopIteration as done:
        result: _Result = done.value
        return result


def freshness_from(cache_control: str | None, cache_ttl: float, cooldown: float) -> float:
    """Seconds an answer stays fresh: Cache-Control max-age honoured between the cooldown (at least 1 s)
    and the configured TTL."""
    match = _MAX_AGE.search(cache_control) if cache_control else None
    if match is None:
        return cache_ttl
    return min(cache_ttl, max(float(match.group(1)), cooldown, 1.0))
