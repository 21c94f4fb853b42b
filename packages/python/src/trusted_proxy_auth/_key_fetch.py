"""One GET for key material (a key set, a discovery document, a PEM key), sync and async.

Redirects are never followed (a 3xx is a failure), anything but 200 fails, the body is read up to a limit,
and every other problem becomes a FetchFailure whose message is safe to log (it names no key material).
"""

from __future__ import annotations

import functools
import re
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE | re.ASCII)


class FetchFailure(Exception):
    """Why a key request gave nothing usable; `status` is the HTTP status when the answer was not 200."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class KeyRequest:
    url: str
    timeout: float
    #: Largest accepted body in bytes.
    max_bytes: int
    accept: str
    #: What the failure message calls a body over the limit ("key set", "discovery document", ...).
    document: str


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


def _client_options(request: KeyRequest) -> dict[str, Any]:
    return {
        "verify": _tls_context(),
        "timeout": httpx.Timeout(request.timeout),
        "follow_redirects": False,
        "headers": {"accept": request.accept},
    }


def _too_large(request: KeyRequest) -> FetchFailure:
    return FetchFailure(f"{request.document} too large")


def fetch_key_document(request: KeyRequest, transport: httpx.BaseTransport | None) -> KeyResponse:
    try:
        with (
            httpx.Client(transport=transport, **_client_options(request)) as client,
            client.stream("GET", request.url) as response,
        ):
            if response.status_code != 200:
                raise FetchFailure(f"HTTP status {response.status_code}", response.status_code)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > request.max_bytes:
                    raise _too_large(request)
            return KeyResponse(bytes(body), response.headers.get("cache-control"))
    except FetchFailure:
        raise
    except httpx.TimeoutException:
        raise FetchFailure("timed out") from None
    except Exception:  # noqa: BLE001 - whatever went wrong, nothing was obtained
        raise FetchFailure("request failed") from None


async def afetch_key_document(request: KeyRequest, transport: httpx.AsyncBaseTransport | None) -> KeyResponse:
    try:
        async with (
            httpx.AsyncClient(transport=transport, **_client_options(request)) as client,
            client.stream("GET", request.url) as response,
        ):
            if response.status_code != 200:
                raise FetchFailure(f"HTTP status {response.status_code}", response.status_code)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > request.max_bytes:
                    raise _too_large(request)
            return KeyResponse(bytes(body), response.headers.get("cache-control"))
    except FetchFailure:
        raise
    except httpx.TimeoutException:
        raise FetchFailure("timed out") from None
    except Exception:  # noqa: BLE001 - whatever went wrong, nothing was obtained
        raise FetchFailure("request failed") from None


def freshness_from(cache_control: str | None, cache_ttl: float, cooldown: float) -> float:
    """Seconds an answer stays fresh: Cache-Control max-age honoured between the cooldown (at least 1 s)
    and the configured TTL."""
    match = _MAX_AGE.search(cache_control) if cache_control else None
    if match is None:
        return cache_ttl
    return min(cache_ttl, max(float(match.group(1)), cooldown, 1.0))
