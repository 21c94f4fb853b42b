"""The key set of a test issuer as HTTP answers: the shared logic of the mock transport and the loopback server."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import urlsplit

import httpx

from ._issuer import TestIssuer

#: What the endpoint answers: the key set (`ok`), an error status, an HTML error page with status 200
#: (`html`), a truncated JSON body (`invalid-json`), a redirect to `?redirected=1`, or no answer at all
#: (`timeout`: the mock transport raises `httpx.ReadTimeout` at once; the loopback server holds the connection
#: until the client gives up or the issuer stops).
Outcome = Literal["ok", "500", "503", "404", "html", "invalid-json", "redirect", "timeout"]
OUTCOMES: Final[tuple[Outcome, ...]] = ("ok", "500", "503", "404", "html", "invalid-json", "redirect", "timeout")


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class RecordedRequest:
    """One request the endpoint received: method, URL path and the outcome it was given."""

    method: str
    path: str
    outcome: Outcome | Literal["discovery", "not-found"]


@dataclass
class JwksEndpoint:
    """Serves `issuer.jwks_url` (and `issuer.discovery_url`) and counts requests; thread-safe.

    `failures` are used in order, one per key-set request, then every answer is `ok`. `cache_control`:
    the `Cache-Control` header of the key set (None sends none).
    """

    issuer: TestIssuer
    failures: list[Outcome] = field(default_factory=list)
    cache_control: str | None = "max-age=300"
    log: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def count(self) -> int:
        """Key-set requests so far (discovery requests not included)."""
        with self._lock:
            return sum(1 for entry in self.log if entry.outcome not in ("discovery", "not-found"))

    @property
    def discovery_count(self) -> int:
        with self._lock:
            return sum(1 for entry in self.log if entry.outcome == "discovery")

    def set_failures(self, failures: Sequence[Outcome]) -> None:
        for outcome in failures:
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}")
        with self._lock:
            self.failures = list(failures)

    def reset(self) -> None:
        """Forgets the requests and the pending failures."""
        with self._lock:
            self.log.clear()
            self.failures.clear()

    def answer(self, method: str, url: str) -> HttpAnswer | None:
        """The answer for a request to `url` (absolute, or a path on the issuer's host); None for `timeout`."""
        path = urlsplit(url).path or "/"
        query = urlsplit(url).query
        if path == urlsplit(self.issuer.discovery_url).path:
            self._record(method, path, "discovery")
            return _json(200, self.issuer.openid_configuration(), None)
        if path != urlsplit(self.issuer.jwks_url).path:
            self._record(method, path, "not-found")
            return HttpAnswer(404, {"content-type": "text/plain"}, b"not found")
        with self._lock:
            outcome: Outcome = self.failures.pop(0) if self.failures and query != "redirected=1" else "ok"
            self.log.append(RecordedRequest(method, path, outcome))
        return self._answer_for(outcome, path)

    def _record(self, method: str, path: str, outcome: Literal["discovery", "not-found"]) -> None:
        with self._lock:
            self.log.append(RecordedRequest(method, path, outcome))

    def _answer_for(self, outcome: Outcome, path: str) -> HttpAnswer | None:
        if outcome == "timeout":
            return None
        if outcome == "ok":
            return _json(200, self.issuer.jwks(), self.cache_control)
        if outcome == "html":
            return HttpAnswer(200, {"content-type": "text/html"}, b"<html><body>Service unavailable</body></html>")
        if outcome == "invalid-json":
            return HttpAnswer(200, {"content-type": "application/json"}, b'{"keys":[{"kty":')
        if outcome == "redirect":
            return HttpAnswer(302, {"location": f"{path}?redirected=1"}, b"")
        return HttpAnswer(int(outcome), {"content-type": "text/plain"}, b"error")

    # -- httpx ----------------------------------------------------------------------------------------

    def _handle(self, request: httpx.Request) -> httpx.Response:
        answer = self.answer(request.method, str(request.url))
        if answer is None:
            raise httpx.ReadTimeout("the test key endpoint did not answer", request=request)
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    @property
    def transport(self) -> httpx.MockTransport:
        """For `TrustedProxyAuth(config, transport=...)` (the sync verifier)."""
        return httpx.MockTransport(self._handle)

    @property
    def async_transport(self) -> httpx.MockTransport:
        """For `TrustedProxyAuth(config, async_transport=...)` (the `a`-prefixed methods)."""

        async def handle(request: httpx.Request) -> httpx.Response:
            return self._handle(request)

        return httpx.MockTransport(handle)


def _json(status: int, body: object, cache_control: str | None) -> HttpAnswer:
    headers = {"content-type": "application/json"}
    if cache_control is not None:
        headers["cache-control"] = cache_control
    return HttpAnswer(status, headers, json.dumps(body).encode("utf-8"))
