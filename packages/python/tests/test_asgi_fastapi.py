"""Starlette/FastAPI: the ASGI middleware (HTTP and WebSocket) and the dependencies, through TestClient
and once through a real uvicorn server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.testclient import TestClient
from helpers import HEADER, JwksResponse, MockJwks, base_env, claims, make_key
from starlette.websockets import WebSocketDisconnect

from trusted_proxy_auth import Identity, TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware
from trusted_proxy_auth.fastapi import install_problem_details, optional_user, require_user

KEY = make_key("ES256", "asgi")
# The tests run now, not at NOW: give the assertion a lifetime around the real clock.
LIVE = claims(iat=int(time.time()) - 5, exp=int(time.time()) + 600)
TOKEN = KEY.sign(LIVE)


def make_auth(**env: str) -> TrustedProxyAuth:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    return TrustedProxyAuth(
        load_config(base_env(**env)), transport=mock.transport, async_transport=mock.async_transport
    )


def guarded_app(auth: TrustedProxyAuth, **options: Any) -> FastAPI:
    app = FastAPI()
    app.add_middleware(TrustedProxyAuthMiddleware, auth=auth, **options)

    @app.get("/whoami")
    def whoami(request: Request) -> Any:
        user = request.state.user
        return {
            "user": user.to_dict() if isinstance(user, Identity) else user,
            "identity": request.state.trusted_identity is not None,
        }

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"ok": "yes"}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"subject": websocket.state.user.subject})
        await websocket.close()

    return app


def test_middleware_sets_request_state_user() -> None:
    client = TestClient(guarded_app(make_auth()))
    response = client.get("/whoami", headers={HEADER: TOKEN})
    assert response.status_code == 200
    assert response.json()["user"]["subject"] == "user-1"


def test_middleware_answers_problem_json_without_echoing_the_token() -> None:
    client = TestClient(guarded_app(make_auth()))
    missing = client.get("/whoami")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"] == 'Bearer realm="trusted-proxy", error="invalid_request"'
    assert missing.json()["code"] == "missing_assertion"
    assert missing.json()["instance"] == "/whoami"
    bad = client.get("/whoami", headers={HEADER: TOKEN + "x"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "malformed_assertion"
    assert TOKEN.split(".")[1] not in bad.text
    assert client.get("/healthz").status_code == 401


def test_excluded_paths_and_optional_mode() -> None:
    client = TestClient(guarded_app(make_auth(TRUSTED_PROXY_MODE="optional"), exclude_paths={"/healthz"}))
    assert client.get("/healthz").json() == {"ok": "yes"}
    assert client.get("/whoami").json() == {"user": None, "identity": False}


def test_jwks_outage_is_503_with_retry_after() -> None:
    mock = MockJwks(JwksResponse(status=500, body=""))
    auth = TrustedProxyAuth(
        load_config(base_env()),
        transport=mock.transport,
        async_transport=mock.async_transport,
        random_source=lambda: 0.5,  # no jitter: the first retry is exactly 5 s away
    )
    response = TestClient(guarded_app(auth)).get("/whoami", headers={HEADER: TOKEN})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "www-authenticate" not in response.headers


def test_resolve_user_hook_sync_and_async() -> None:
    async def lookup(identity: Identity) -> dict[str, str] | None:
        return {"db_user": identity.subject} if identity.subject == "user-1" else None

    client = TestClient(guarded_app(make_auth(), resolve_user=lookup))
    assert client.get("/whoami", headers={HEADER: TOKEN}).json()["user"] == {"db_user": "user-1"}
    stranger = KEY.sign({**LIVE, "sub": "user-2"})
    response = client.get("/whoami", headers={HEADER: stranger})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_user"
    sync_client = TestClient(guarded_app(make_auth(), resolve_user=lambda identity: identity.email))
    assert sync_client.get("/whoami", headers={HEADER: TOKEN}).json()["user"] == "ann@example.com"


def test_resolver_errors_the_library_raises_are_problems_others_stay_the_frameworks() -> None:
    async def unavailable(identity: Identity) -> Any:
        raise TrustedProxyAuthError("jwks_unavailable", retry_after=7)

    response = TestClient(guarded_app(make_auth(), resolve_user=unavailable)).get("/whoami", headers={HEADER: TOKEN})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "7"
    assert response.json()["code"] == "jwks_unavailable"

    def broken(identity: Identity) -> Any:
        raise RuntimeError("user store down")

    client = TestClient(guarded_app(make_auth(), resolve_user=broken), raise_server_exceptions=False)
    failed = client.get("/whoami", headers={HEADER: TOKEN})
    assert failed.status_code == 500
    assert "problem+json" not in failed.headers.get("content-type", "")


def test_websocket_handshake_is_verified() -> None:
    client = TestClient(guarded_app(make_auth()))
    with client.websocket_connect("/ws", headers={HEADER: TOKEN}) as websocket:
        assert websocket.receive_json() == {"subject": "user-1"}


def test_websocket_is_closed_with_1008_when_the_server_cannot_send_an_http_denial() -> None:
    sent: list[dict[str, Any]] = []
    reached: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    middleware = TrustedProxyAuthMiddleware(app, make_auth())
    scope = {"type": "websocket", "path": "/ws", "headers": [], "client": ("127.0.0.1", 5000), "extensions": {}}
    asyncio.run(middleware(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": "missing_assertion"}]
    assert reached == []


def test_websocket_denial_is_an_http_answer_when_supported() -> None:
    from starlette.testclient import WebSocketDenialResponse

    client = TestClient(guarded_app(make_auth()))
    with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect("/ws"):
        pass
    assert denied.value.status_code == 401
    assert denied.value.json()["code"] == "missing_assertion"


def dependency_app(auth: TrustedProxyAuth | None, *, problem_json: bool = True) -> FastAPI:
    app = FastAPI()
    if auth is not None:
        app.state.trusted_proxy_auth = auth
    if problem_json:
        install_problem_details(app)

    @app.get("/me")
    def me(user: Identity = Depends(require_user)) -> dict[str, str]:
        return {"subject": user.subject}

    @app.get("/maybe")
    def maybe(user: Identity | None = Depends(optional_user)) -> dict[str, str | None]:
        return {"subject": user.subject if user else None}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, user: Identity = Depends(require_user)) -> None:
        await websocket.accept()
        await websocket.send_json({"subject": user.subject})
        await websocket.close()

    return app


def test_dependencies_work_without_the_middleware() -> None:
    client = TestClient(dependency_app(make_auth()))
    assert client.get("/me", headers={HEADER: TOKEN}).json() == {"subject": "user-1"}
    assert client.get("/maybe").json() == {"subject": None}
    assert client.get("/maybe", headers={HEADER: TOKEN}).json() == {"subject": "user-1"}
    missing = client.get("/me")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "missing_assertion"
    bad = client.get("/maybe", headers={HEADER: "nope"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "malformed_assertion"
    with client.websocket_connect("/ws", headers={HEADER: TOKEN}) as websocket:
        assert websocket.receive_json() == {"subject": "user-1"}
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws"):
        pass


def test_dependencies_without_problem_handler_still_use_contract_status() -> None:
    client = TestClient(dependency_app(make_auth(), problem_json=False))
    response = client.get("/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "no identity assertion was found in the configured header"}
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_dependencies_reuse_the_middleware_result() -> None:
    calls: list[str] = []
    auth = make_auth(TRUSTED_PROXY_MODE="optional")
    app = dependency_app(auth)
    app.add_middleware(TrustedProxyAuthMiddleware, auth=auth)
    # Every request verification (the middleware's and `averify_request`) starts with the request rules and the
    # cache in `_request_hit`: counted there.
    auth_verify = auth._request_hit

    def counting(*args: Any, **kwargs: Any) -> Identity | str | None:
        calls.append("verify")
        return auth_verify(*args, **kwargs)

    auth._request_hit = counting  # type: ignore[method-assign]
    client = TestClient(app)
    assert client.get("/me", headers={HEADER: TOKEN}).json() == {"subject": "user-1"}
    assert calls == ["verify"]


@pytest.fixture
def uvicorn_server(request: pytest.FixtureRequest) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    auth = make_auth(TRUSTED_PROXY_TRUSTED_ADDRESSES="127.0.0.1")
    config = uvicorn.Config(
        guarded_app(auth), host="127.0.0.1", port=port, log_level="error", lifespan="off", proxy_headers=request.param
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # A watchdog against a server that never starts, not a limit on a busy machine's speed.
    deadline = time.monotonic() + 180
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(180)


@pytest.mark.parametrize("uvicorn_server", [False], indirect=True)
def test_real_uvicorn_server_uses_the_socket_peer(uvicorn_server: str) -> None:
    response = httpx.get(f"{uvicorn_server}/whoami", headers={HEADER: TOKEN, "X-Forwarded-For": "192.0.2.1"})
    assert response.status_code == 200
    assert response.json()["user"]["subject"] == "user-1"
    duplicate = httpx.get(f"{uvicorn_server}/whoami", headers=[(HEADER, TOKEN), (HEADER, TOKEN)])
    assert duplicate.status_code == 401
    assert duplicate.json()["code"] == "malformed_assertion"


@pytest.mark.parametrize("uvicorn_server", [True], indirect=True)
def test_uvicorn_proxy_headers_replace_the_peer_with_x_forwarded_for(uvicorn_server: str) -> None:
    # uvicorn --proxy-headers (its default) rewrites scope["client"] from X-Forwarded-For when the peer is in
    # --forwarded-allow-ips; the trusted-address fence then sees the end user, so the README says to turn
    # proxy headers off (or not use trusted addresses) behind the identity-aware proxy.
    response = httpx.get(f"{uvicorn_server}/whoami", headers={HEADER: TOKEN, "X-Forwarded-For": "192.0.2.1"})
    assert response.status_code == 401
    assert response.json()["code"] == "untrusted_source"
