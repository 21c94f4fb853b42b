"""Keys, token minting and a loopback JWKS server for the tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

from trusted_proxy_auth import TrustedProxyAuthError

ISSUER = "https://proxy.example"
AUDIENCE = "app"
HEADER = "X-Assertion"
NOW = 1_700_000_000
#: How often a loopback test server checks whether it should stop.
SHUTDOWN_POLL_SECONDS = 0.02


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class SigningKey:
    alg: str
    kid: str | None
    private: Any
    public_jwk: dict[str, Any]

    def sign(self, payload: dict[str, Any] | str, header: dict[str, Any] | str | None = None) -> str:
        """Compact JWS over exactly these bytes (strings are used verbatim, so tests can forge JSON)."""
        if header is None:
            header = {"alg": self.alg, **({"kid": self.kid} if self.kid else {})}
        header_text = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
        payload_text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        signing_input = f"{b64url(header_text.encode())}.{b64url(payload_text.encode())}"
        algorithm = get_default_algorithms()[self.alg]
        return f"{signing_input}.{b64url(algorithm.sign(signing_input.encode(), self.private))}"


def make_key(alg: str = "ES256", kid: str | None = "key-1", *, rsa_bits: int = 2048) -> SigningKey:
    private: Any
    if alg.startswith(("RS", "PS")):
        private = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    elif alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
        private = ec.generate_private_key(curve)
    algorithm = get_default_algorithms()[alg]
    jwk = dict(algorithm.to_jwk(private.public_key(), as_dict=True))
    if kid is not None:
        jwk["kid"] = kid
    jwk.update({"alg": alg, "use": "sig"})
    return SigningKey(alg, kid, private, jwk)


def private_jwk(key: SigningKey) -> dict[str, Any]:
    return dict(get_default_algorithms()[key.alg].to_jwk(key.private, as_dict=True))


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "email": "ann@example.com",
        "email_verified": True,
        "name": "Ann",
        "groups": ["staff"],
        "iat": NOW - 10,
        "exp": NOW + 300,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not ...}


def base_env(jwks_url: str = "https://keys.test/jwks.json", **extra: str) -> dict[str, str]:
    return {
        "TRUSTED_PROXY_ASSERTION_HEADER": HEADER,
        "TRUSTED_PROXY_JWKS_URL": jwks_url,
        "TRUSTED_PROXY_ISSUER": ISSUER,
        "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
        **extra,
    }


@dataclass
class JwksResponse:
    status: int = 200
    body: str = '{"keys":[]}'
    #: None sends no content type at all.
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, *keys: dict[str, Any], **headers: str) -> JwksResponse:
        return cls(body=json.dumps({"keys": list(keys)}), headers=headers)


class MockJwks:
    """An httpx transport (sync and async) answering every request with `response`, counting requests."""

    def __init__(self, response: JwksResponse | None = None) -> None:
        self.response = response or JwksResponse()
        self.requests: list[httpx.Request] = []

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        content_type = {"content-type": self.response.content_type} if self.response.content_type else {}
        headers = {**content_type, **self.response.headers}
        return httpx.Response(self.response.status, headers=headers, content=self.response.body.encode())

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    @property
    def async_transport(self) -> httpx.MockTransport:
        async def handler(request: httpx.Request) -> httpx.Response:
            return self._handle(request)

        return httpx.MockTransport(handler)


class _Handler(BaseHTTPRequestHandler):
    server: _JwksHttpServer

    def do_GET(self) -> None:
        self.server.count += 1
        response = self.server.routes.get(self.path.split("?")[0])
        if response is None:
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body = response.body.encode("utf-8")
        self.send_response(response.status)
        if response.content_type is not None:
            self.send_header("content-type", response.content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's signature
        return


class LoopbackHTTPServer(ThreadingHTTPServer):
    """The HTTP server of the tests: one daemon thread per connection, and a listen backlog of 128."""

    daemon_threads = True
    # socketserver's default backlog is 5: a client opening connections faster than the accept loop takes them
    # (a `verify --batch` run, one verifier per line) had its SYN dropped and retried after 1 s, five times a run.
    request_queue_size = 128


class _JwksHttpServer(LoopbackHTTPServer):
    count = 0
    routes: dict[str, JwksResponse]


@contextmanager
def loopback_jwks_server() -> Iterator[tuple[str, dict[str, JwksResponse]]]:
    """A real HTTP server on 127.0.0.1 (port 0); yields its base URL and a mutable path -> response map."""
    server = _JwksHttpServer(("127.0.0.1", 0), _Handler)
    server.routes = {}
    # shutdown() waits for the serve loop to look at its flag, which it does once per poll interval (0.5 s by
    # default): a short interval keeps every test's teardown from idling for half a second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.routes
    finally:
        server.shutdown()
        server.server_close()


class ManualScheduler:
    """A clock and scheduler that move only when told to, so key-lifecycle timing is exact in tests."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self._tasks: list[tuple[float, int, Callable[[], None]]] = []
        self._next_id = 0

    def __call__(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> object:
        self._next_id += 1
        self._tasks.append((self.now + delay, self._next_id, callback))
        return self._next_id

    def cancel(self, handle: object) -> None:
        self._tasks = [task for task in self._tasks if task[1] != handle]

    def advance(self, seconds: float) -> None:
        """Moves the clock, running each task that falls due in order."""
        target = self.now + seconds
        while True:
            due = sorted(task for task in self._tasks if task[0] <= target + 1e-9)
            if not due:
                break
            when, handle, callback = due[0]
            self.cancel(handle)
            self.now = max(self.now, when)
            callback()
        self.now = target


def b64_padded(data: bytes) -> str:
    """base64url with its `=` padding, as AWS ALB writes every segment."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def sign_padded(key: SigningKey, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A compact JWS whose segments are padded and whose signature covers the padded text (AWS ALB)."""
    header_text = json.dumps(header, separators=(",", ":")).encode()
    payload_text = json.dumps(payload, separators=(",", ":")).encode()
    signing_input = f"{b64_padded(header_text)}.{b64_padded(payload_text)}"
    signature = get_default_algorithms()[key.alg].sign(signing_input.encode(), key.private)
    return f"{signing_input}.{b64_padded(signature)}"


def sign_hs256(secret: bytes, payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    header_text = json.dumps(header or {"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode()
    signing_input = f"{b64url(header_text)}.{b64url(json.dumps(payload, separators=(',', ':')).encode())}"
    return f"{signing_input}.{b64url(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def public_pem(key: SigningKey) -> str:
    return str(
        key.private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


class RoutedMock:
    """An httpx transport (sync and async) answering each URL from `routes` (404 otherwise), counting
    requests per URL."""

    def __init__(self, routes: dict[str, JwksResponse] | None = None) -> None:
        self.routes: dict[str, JwksResponse] = routes or {}
        self.requests: list[str] = []

    def count(self, url: str) -> int:
        return self.requests.count(url)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.requests.append(url)
        response = self.routes.get(url, JwksResponse(status=404, body="", content_type=None))
        content_type = {"content-type": response.content_type} if response.content_type else {}
        return httpx.Response(
            response.status, headers={**content_type, **response.headers}, content=response.body.encode()
        )

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    @property
    def async_transport(self) -> httpx.MockTransport:
        async def handler(request: httpx.Request) -> httpx.Response:
            return self._handle(request)

        return httpx.MockTransport(handler)


def outcome(call: Callable[[], object]) -> str:
    """ "ok" when `call` returns, else the contract code of the TrustedProxyAuthError it raised."""
    try:
        call()
    except TrustedProxyAuthError as error:
        return error.code
    return "ok"
