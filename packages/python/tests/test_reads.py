"""Every remote read (key set, discovery document, per-kid PEM key) over a real loopback server: the body is
counted as it arrives and reading stops past the cap, a Content-Length above the cap is refused before
reading, one deadline covers the whole fetch (a trickle cannot stretch it), failures name their cause in
`detail`, and `ready(timeout)` follows the same rule as TypeScript's (packages/core/test/ready.test.ts)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from helpers import LoopbackHTTPServer, base_env

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth._key_fetch import FetchFailure, KeyRequest, afetch_key_document, fetch_key_document
from trusted_proxy_auth._key_sources.kid_template_keys import MAX_PEM_BYTES, KidTemplateKeyStore

MIB = 1024 * 1024
HUGE = 600 * MIB
KID = "abb8289f-e3a4-4a34-9472-c2105e2b2482"


@dataclass
class Counting:
    """Bytes the server handed to its socket, per path."""

    written: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, count: int) -> None:
        with self.lock:
            self.written[path] = self.written.get(path, 0) + count


@contextmanager
def streaming_server() -> Iterator[tuple[str, Counting]]:
    counting = Counting()
    keys_body = b'{"keys":[]}'

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/keys.json":
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(keys_body)))
                self.end_headers()
                self.wfile.write(keys_body)
                return
            if path == "/hang":
                time.sleep(3)
                return
            self.send_response(200)
            self.send_header("content-type", "application/json")
            if path == "/declared":
                self.send_header("content-length", str(HUGE))
            self.end_headers()
            if path == "/trickle":
                self._send(path, b" ", 300, pause=0.1)
            else:
                # No Content-Length (read until close): only counting while reading can stop it.
                self._send(path, b" " * 65536, HUGE // 65536, pause=0)

        def _send(self, path: str, chunk: bytes, times: int, *, pause: float) -> None:
            try:
                for _ in range(times):
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    counting.add(path, len(chunk))
                    if pause:
                        time.sleep(pause)
            except OSError:
                return  # the client went away

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
            return

    server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", counting
    finally:
        server.shutdown()
        server.server_close()


def _settle(counting: Counting, path: str) -> int:
    """The server's count once its handler has noticed the client is gone (bounded wait)."""
    last, stable_since = -1, time.monotonic()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = counting.written.get(path, 0)
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 0.3:
            break
        time.sleep(0.05)
    return last


def _fetch(request: KeyRequest, mode: str) -> object:
    return fetch_key_document(request, None) if mode == "sync" else asyncio.run(afetch_key_document(request, None))


def _unavailable(work: Any) -> TrustedProxyAuthError:
    with pytest.raises(TrustedProxyAuthError) as raised:
        work()
    assert raised.value.code == "jwks_unavailable"
    return raised.value


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_huge_key_set_stops_being_read_after_the_cap(mode: str) -> None:
    events: list[dict[str, Any]] = []
    with streaming_server() as (base, counting):
        auth = TrustedProxyAuth(load_config(base_env(f"{base}/huge-{mode}")), on_event=events.append)
        error = _unavailable(auth.ready if mode == "sync" else lambda: asyncio.run(auth.aready()))
        assert error.detail == f"response larger than {MIB} bytes"
        assert {"type": "jwks_fetch_failed", "reason": f"response larger than {MIB} bytes"}.items() <= events[
            -1
        ].items()
        written = _settle(counting, f"/huge-{mode}")
    # The cap plus what loopback socket buffers hold; reading the body whole would be 600 MiB.
    assert written < 16 * MIB
    print(f"key set ({mode}): server wrote {written} bytes before the client stopped (cap {MIB})")


def test_a_huge_discovery_document_stops_being_read_after_the_cap() -> None:
    with streaming_server() as (base, counting):
        config = load_config(
            {
                "TRUSTED_PROXY_PRESET": "oauth2-proxy",
                "TRUSTED_PROXY_ISSUER": f"{base}/idp",
                "TRUSTED_PROXY_AUDIENCE": "oauth2-proxy",
            }
        )
        error = _unavailable(TrustedProxyAuth(config).ready)
        assert error.detail == f"response larger than {MIB} bytes"
        written = _settle(counting, "/idp/.well-known/openid-configuration")
    assert written < 16 * MIB
    print(f"discovery: server wrote {written} bytes before the client stopped (cap {MIB})")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_huge_per_kid_pem_stops_being_read_after_the_cap(mode: str) -> None:
    with streaming_server() as (base, counting):
        store = KidTemplateKeyStore(
            f"{base}/pem-{mode}/{{kid}}", timeout=30, cache_ttl=600, cooldown=30, max_stale=3600
        )
        error = _unavailable(lambda: store.key_for(KID) if mode == "sync" else asyncio.run(store.akey_for(KID)))
        assert error.detail == f"response larger than {MAX_PEM_BYTES} bytes"
        written = _settle(counting, f"/pem-{mode}/{KID}")
    assert written < 16 * MIB
    print(f"per-kid PEM ({mode}): server wrote {written} bytes before the client stopped (cap {MAX_PEM_BYTES})")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_content_length_above_the_cap_is_refused_before_reading(mode: str) -> None:
    with streaming_server() as (base, counting):
        request = KeyRequest(f"{base}/declared", 30, MIB, "application/json")
        with pytest.raises(FetchFailure, match=f"^response larger than {MIB} bytes$"):
            _fetch(request, mode)
        assert _settle(counting, "/declared") < 16 * MIB


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_one_deadline_covers_the_whole_body_of_a_trickle(mode: str) -> None:
    # Headers at once, then a byte every 0.1 s for 30 s: each read is quick, only an overall deadline stops it.
    with streaming_server() as (base, _counting):
        request = KeyRequest(f"{base}/trickle", 0.3, MIB, "application/json")
        started = time.monotonic()
        with pytest.raises(FetchFailure, match=r"^timed out after 0\.3 s$"):
            _fetch(request, mode)
        elapsed = time.monotonic() - started
    assert elapsed < 10, "far below the 30 s of the trickle"
    print(f"trickle ({mode}): gave up after {elapsed:.2f} s with a 0.3 s timeout (the trickle lasts 30 s)")


def test_a_refused_connection_is_named() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = _unavailable(TrustedProxyAuth(load_config(base_env(f"http://127.0.0.1:{port}/jwks.json"))).ready)
    assert error.detail == "connection refused"


# -- ready(timeout): resolves once keys are loaded; jwks_unavailable when the load fails or after timeout --


def test_ready_returns_once_keys_are_loaded() -> None:
    with streaming_server() as (base, _counting):
        auth = TrustedProxyAuth(load_config(base_env(f"{base}/keys.json")))
        auth.ready(timeout=5)
        assert asyncio.run(auth.aready(timeout=5)) is None
        assert auth.status().state == "ready"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_ready_gives_up_after_its_timeout_while_the_endpoint_never_answers(mode: str) -> None:
    with streaming_server() as (base, _counting):
        auth = TrustedProxyAuth(load_config(base_env(f"{base}/hang", TRUSTED_PROXY_JWKS_TIMEOUT="30")))
        started = time.monotonic()
        error = _unavailable(
            (lambda: auth.ready(timeout=0.2)) if mode == "sync" else lambda: asyncio.run(auth.aready(timeout=0.2))
        )
        assert error.detail in ("no key set loaded within 0.2 s", "timed out after 0.2 s")
        assert time.monotonic() - started < 10


def test_ready_fails_as_soon_as_the_load_fails() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    auth = TrustedProxyAuth(load_config(base_env(f"http://127.0.0.1:{port}/jwks.json")))
    started = time.monotonic()
    error = _unavailable(lambda: auth.ready(timeout=30))
    assert error.detail == "connection refused"
    assert time.monotonic() - started < 10, "does not wait out the 30 s once the load has failed"
