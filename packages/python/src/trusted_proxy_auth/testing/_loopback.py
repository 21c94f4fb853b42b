"""A test issuer whose key set is served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._issuer import TestIssuer
from ._jwks_endpoint import JwksEndpoint

#: How often the server loop looks at its stop flag; short, so closing takes milliseconds, not half a second.
_POLL_SECONDS = 0.02


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    endpoint: JwksEndpoint
    #: Set when the issuer stops: ends the requests held open by the `timeout` outcome.
    stopping: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        answer = self.server.endpoint.answer("GET", self.path)
        if answer is None:
            self.server.stopping.wait()
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        return


class RunningTestIssuer(TestIssuer):
    """A `TestIssuer` whose `url`, `jwks_url` and `discovery_url` are served over loopback HTTP.

    `endpoint` counts requests and plays failures (`JwksEndpoint`). Use `start_test_issuer()`.
    """

    __test__ = False

    url: str
    endpoint: JwksEndpoint


@contextmanager
def start_test_issuer(
    *,
    issuer: str | None = None,
    audience: str | Sequence[str] = "https://app.test",
    algorithms: Sequence[str] = ("ES256",),
    cache_control: str | None = "max-age=300",
    **options: Any,
) -> Iterator[RunningTestIssuer]:
    """A running issuer on 127.0.0.1 (a free port the OS picks), stopped when the block ends.

    It serves `/.well-known/jwks.json` and `/.well-known/openid-configuration`; `iss` defaults to its URL
    (`http://127.0.0.1:<port>`). Use it when the code under test must fetch keys over a real socket (a
    subprocess, a real server, the CLI); otherwise `JwksEndpoint(...).transport` is faster.
    """
    server = _Server(("127.0.0.1", 0), _Handler)
    server.stopping = threading.Event()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    running = RunningTestIssuer(
        issuer=issuer or url,
        audience=audience,
        algorithms=algorithms,
        jwks_url=f"{url}/.well-known/jwks.json",
        **options,
    )
    running.discovery_url = f"{url}/.well-known/openid-configuration"
    running.url = url
    running.endpoint = JwksEndpoint(running, cache_control=cache_control)
    server.endpoint = running.endpoint
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": _POLL_SECONDS}, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
