"""Every key-lifecycle script of ../../test-vectors/lifecycle/*.json, with a manual clock and scheduler:
through a mocked transport (sync requests) and through a real loopback HTTP server (async requests)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import (
    SHUTDOWN_POLL_SECONDS,
    LoopbackHTTPServer,
    ManualScheduler,
    SigningKey,
    b64url,
    make_key,
    private_jwk,
)

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config

LIFECYCLE_DIR = Path(__file__).resolve().parents[3] / "test-vectors" / "lifecycle"
CLAIMS_NOW = 1_700_000_000
MOCK_URL = "https://keys.lifecycle.test/jwks.json"
SCRIPTS = sorted(LIFECYCLE_DIR.glob("*.json"))


def _invalid_members() -> dict[str, dict[str, Any]]:
    ec = make_key("ES256", None).public_jwk
    ec = {name: value for name, value in ec.items() if name not in ("alg", "use")}
    rsa_1024 = make_key("RS256", None, rsa_bits=1024).public_jwk
    return {
        "oct": {"kty": "oct", "kid": "oct-1", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ", "alg": "HS256"},
        "use-enc": {**ec, "kid": "enc-1", "use": "enc"},
        "key-ops-sign": {**ec, "kid": "ops-1", "key_ops": ["sign"]},
        "rsa-1024": {**rsa_1024, "kid": "rsa-1024", "alg": "RS256"},
        "alg-mismatch": {**ec, "kid": "mismatch-1", "alg": "RS256"},
    }


INVALID_MEMBERS = _invalid_members()
#: A trickling endpoint (`{"serve": {"trickle": true}}`): one space per interval for 30 s, then an empty set.
TRICKLE_INTERVAL = 0.1
TRICKLE_BYTES = 300
TRICKLE_TAIL = b'{"keys":[]}'


@dataclass
class Endpoint:
    """What the key endpoint answers now, and how often it was asked."""

    keys: dict[str, SigningKey]
    serve: dict[str, Any] = field(default_factory=lambda: {"status": 404, "body": ""})
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> tuple[int, dict[str, str], bytes] | None:
        """(status, headers, body), or None for "never answer"; a trickle has the body b"" (see TRICKLE_*)."""
        with self.lock:
            self.count += 1
        serve = self.serve
        if serve.get("hang"):
            return None
        if serve.get("trickle"):
            return 200, {"content-type": "application/json"}, b""
        if "keys" in serve:
            members = [self.keys[name].public_jwk for name in serve["keys"]]
            for kind in serve.get("invalidMembers", []):
                if kind == "private":
                    first = self.keys[serve["keys"][0]]
                    members.append({**private_jwk(first), "kid": f"{first.kid}-private", "alg": "ES256", "use": "sig"})
                else:
                    members.append(INVALID_MEMBERS[kind])
            headers = {"content-type": "application/json"}
            if "cacheControl" in serve:
                headers["cache-control"] = serve["cacheControl"]
            return 200, headers, json.dumps({"keys": members}).encode()
        return (
            serve.get("status", 200),
            {"content-type": serve.get("contentType", "text/plain")},
            serve.get("body", "").encode(),
        )


class _Trickle(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        for _ in range(TRICKLE_BYTES):
            time.sleep(TRICKLE_INTERVAL)
            yield b" "
        yield TRICKLE_TAIL

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(TRICKLE_BYTES):
            await asyncio.sleep(TRICKLE_INTERVAL)
            yield b" "
        yield TRICKLE_TAIL


def mock_transports(endpoint: Endpoint) -> tuple[httpx.MockTransport, httpx.MockTransport]:
    def handle(request: httpx.Request) -> httpx.Response:
        answer = endpoint.answer()
        if answer is None:
            raise httpx.ReadTimeout("the endpoint never answers", request=request)
        status, headers, body = answer
        if endpoint.serve.get("trickle"):
            return httpx.Response(status, headers=headers, stream=_Trickle())
        return httpx.Response(status, headers=headers, content=body)

    async def ahandle(request: httpx.Request) -> httpx.Response:
        return handle(request)

    return httpx.MockTransport(handle), httpx.MockTransport(ahandle)


@contextmanager
def loopback_endpoint(endpoint: Endpoint) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = endpoint.answer()
            assert answer is not None, "scripts with a hung endpoint run with the mocked transport only"
            status, headers, body = answer
            if endpoint.serve.get("trickle"):
                self._trickle(status, headers)
                return
            self.send_response(status)
            for name, value in {**headers, "content-length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _trickle(self, status: int, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                for _ in range(TRICKLE_BYTES):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(TRICKLE_INTERVAL)
                self.wfile.write(TRICKLE_TAIL)
            except OSError:
                return  # the client went away: what the deadline is for
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
            return

    server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for the serve loop to look at its flag, which it does once per poll interval (0.5 s by
    # default): a short interval keeps every test's teardown from idling for half a second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def _sign(key: SigningKey, kid: str | None, config_issuer: str, config_audience: str) -> str:
    header: dict[str, Any] = {"alg": "ES256"} if kid is None else {"alg": "ES256", "kid": kid}
    payload = {
        "iss": config_issuer,
        "aud": config_audience,
        "sub": "lifecycle-user",
        "iat": CLAIMS_NOW,
        "exp": CLAIMS_NOW + 3600,
    }
    return key.sign(payload, header=header)


def _flood(signed: str, kid: str, count: int) -> list[str]:
    """Tokens with kids `<kid>-1` ... `<kid>-<count>` that share one signature (test-vectors/lifecycle/README.md):
    signing 10,000 headers would cost seconds of CPU, and a kid the key set lacks is refused before any
    signature is checked."""
    _, payload, signature = signed.split(".")
    headers = (b64url(json.dumps({"alg": "ES256", "kid": f"{kid}-{i}"}).encode()) for i in range(1, count + 1))
    return [f"{header}.{payload}.{signature}" for header in headers]


def _outcome_sync(auth: TrustedProxyAuth, token: str) -> str:
    try:
        auth.verify_assertion(token, now=CLAIMS_NOW)
    except TrustedProxyAuthError as error:
        return error.code
    return "ok"


async def _outcome_async(auth: TrustedProxyAuth, token: str) -> str:
    try:
        await auth.averify_assertion(token, now=CLAIMS_NOW)
    except TrustedProxyAuthError as error:
        return error.code
    return "ok"


def run_script(path: Path, *, loopback: bool) -> None:
    script = json.loads(path.read_text(encoding="utf-8"))
    keys = {name: make_key("ES256", name) for name in script["keys"]}
    keys.setdefault("attacker", make_key("ES256", "attacker"))
    endpoint = Endpoint(keys)
    manual = ManualScheduler()
    with loopback_endpoint(endpoint) if loopback else _no_server() as url:
        config = load_config({**script["config"], "TRUSTED_PROXY_JWKS_URL": url or MOCK_URL})
        transport, async_transport = (None, None) if loopback else mock_transports(endpoint)
        auth: TrustedProxyAuth | None = None
        last_tokens: dict[tuple[str, str | None], str] = {}
        try:
            for index, step in enumerate(script["steps"]):
                where = f"{path.name} step {index} {step.get('comment', '')}".strip()
                began = time.monotonic()
                if "serve" in step:
                    endpoint.serve = step["serve"]
                if step.get("start"):
                    auth = TrustedProxyAuth(
                        config,
                        transport=transport,
                        async_transport=async_transport,
                        clock=manual,
                        scheduler=manual,
                        random_source=lambda: 0.5,
                    )
                    # Creating the verifier does no I/O (safe before a fork); start() is the background load.
                    auth.start()
                    manual.advance(0)
                if "advance" in step:
                    manual.advance(step["advance"])
                if "verify" in step:
                    assert auth is not None, where
                    _verify_step(
                        auth,
                        step,
                        keys,
                        config.issuer[0],
                        config.audience[0],
                        loopback=loopback,
                        where=where,
                        last_tokens=last_tokens,
                    )
                if "status" in step:
                    assert auth is not None
                    assert auth.status().state == step["status"], where
                if "fetches" in step:
                    assert endpoint.count == step["fetches"], where
                if "withinSeconds" in step:
                    assert time.monotonic() - began < step["withinSeconds"], where
        finally:
            if auth is not None:
                auth.close()


@contextmanager
def _no_server() -> Iterator[None]:
    yield None


def _verify_step(
    auth: TrustedProxyAuth,
    step: dict[str, Any],
    keys: dict[str, SigningKey],
    issuer: str,
    audience: str,
    *,
    loopback: bool,
    where: str,
    last_tokens: dict[tuple[str, str | None], str],
) -> None:
    verify = step["verify"]
    key = keys[verify["key"]]
    kid = verify.get("kid", verify["key"])
    concurrent = verify.get("concurrent", 1)
    if "distinctKids" in verify:
        tokens = _flood(_sign(key, f"{kid}-1", issuer, audience), kid, verify["distinctKids"])
        if loopback:

            async def sequential() -> list[str]:
                return [await _outcome_async(auth, token) for token in tokens]

            results = asyncio.run(sequential())
        else:
            results = [_outcome_sync(auth, token) for token in tokens]
    else:
        # repeat: the very token the last verify step of this key and kid signed (a cache hit when remembered).
        memo = (verify["key"], kid)
        token = last_tokens[memo] if verify.get("repeat") else _sign(key, kid, issuer, audience)
        last_tokens[memo] = token
        if concurrent > 1 or loopback:

            async def together() -> list[str]:
                return list(await asyncio.gather(*(_outcome_async(auth, token) for _ in range(concurrent))))

            results = asyncio.run(together())
        else:
            results = [_outcome_sync(auth, token)]
    assert set(results) == {step["expect"]}, where


def test_lifecycle_scripts_are_present() -> None:
    assert len(SCRIPTS) >= 9, f"no lifecycle scripts in {LIFECYCLE_DIR}"


@pytest.mark.parametrize("path", SCRIPTS, ids=[path.stem for path in SCRIPTS])
def test_lifecycle_script_with_mocked_transport(path: Path) -> None:
    run_script(path, loopback=False)


def _hangs(path: Path) -> bool:
    return any(step.get("serve", {}).get("hang") for step in json.loads(path.read_text(encoding="utf-8"))["steps"])


# A script with a hung endpoint runs with the mocked transport only (it raises the timeout at once): over real
# HTTP its short TRUSTED_PROXY_JWKS_TIMEOUT is a wall-clock race that a busy machine can lose on the answers
# that follow the hang, so the verdict would depend on machine speed.
SCRIPTS_OVER_LOOPBACK = [path for path in SCRIPTS if not _hangs(path)]


@pytest.mark.parametrize("path", SCRIPTS_OVER_LOOPBACK, ids=[path.stem for path in SCRIPTS_OVER_LOOPBACK])
def test_lifecycle_script_over_loopback_http(path: Path) -> None:
    run_script(path, loopback=True)
