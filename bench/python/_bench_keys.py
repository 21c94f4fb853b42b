"""Keys for the Python benches: a fresh signing key per algorithm and a loopback JWKS server publishing it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms


def private_key(alg: str) -> Any:
    if alg.startswith("RS"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: Any, alg: str) -> dict[str, Any]:
    jwk = get_default_algorithms()[alg].to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": f"{alg}-1", "alg": alg, "use": "sig"}


@contextmanager
def jwks_server(jwk: dict[str, Any]) -> Iterator[str]:
    """A loopback JWKS endpoint serving one key; yields its URL."""
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        # socketserver's default backlog of 5 drops a SYN under bursts of first requests (retried after 1 s).
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
