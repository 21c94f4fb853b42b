"""Starlette's own authentication (`AuthenticationMiddleware` + `TrustedProxyAuthBackend`) and FastAPI's
`Security` scheme, through TestClient and once under a real uvicorn server; keys from trusted_proxy_auth.testing."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, Security
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.authentication import BaseUser, requires
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocket

from trusted_proxy_auth import Identity, TrustedProxyAuth
from trusted_proxy_auth.fastapi import (
    ASSERTION_SCHEME_NAME,
    install_problem_details,
    optional_security_user,
    problem_responses,
    require_user,
    security_user,
)
from trusted_proxy_auth.starlette import (
    TrustedProxyAuthBackend,
    TrustedUser,
    authentication_middleware,
)
from trusted_proxy_auth.testing import JwksEndpoint, TestIssuer, proxy_headers, verifier_for

ISSUER = TestIssuer(audience="app")


@pytest.fixture
def endpoint() -> JwksEndpoint:
    return JwksEndpoint(ISSUER)


@pytest.fixture
def auth(endpoint: JwksEndpoint) -> Iterator[TrustedProxyAuth]:
    verifier = verifier_for(ISSUER, endpoint)
    yield verifier
    verifier.close()


def headers(**claims: Any) -> dict[str, str]:
    return proxy_headers(ISSUER.make_assertion(**claims))


async def me(request: Request) -> JSONResponse:
    user = request.user
    return JSONResponse(
        {
            "authenticated": user.is_authenticated,
            "name": user.display_name,
            "id": user.identity if user.is_authenticated else None,
            "scopes": request.auth.scopes,
        }
    )


@requires("group:admins")
async def admin(request: Request) -> JSONResponse:
    return JSONResponse({"admin": request.user.display_name})


@requires("reports:read", status_code=401)
async def reports(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def starlette_app(backend: TrustedProxyAuthBackend) -> Starlette:
    routes = [Route("/me", me), Route("/admin", admin), Route("/reports", reports), Route("/healthz", me)]
    return Starlette(routes=routes, middleware=[authentication_middleware(backend=backend)])


def test_request_user_and_scopes_come_from_the_identity(auth: TrustedProxyAuth) -> None:
    client = TestClient(starlette_app(TrustedProxyAuthBackend(auth)))
    response = client.get("/me", headers=headers(name="Ann", groups=["staff", "ops"], scope="reports:read a"))
    assert response.status_code == 200
    assert response.json() == {
        "authenticated": True,
        "name": "Ann",
        "id": "test-user",
        "scopes": ["authenticated", "group:staff", "group:ops", "a", "reports:read"],
    }
    assert client.get("/reports", headers=headers(scp=["reports:read"])).status_code == 200
    assert client.get("/reports", headers=headers()).status_code == 401


def test_requires_guards_groups_and_a_group_is_not_a_scope(auth: TrustedProxyAuth) -> None:
    client = TestClient(starlette_app(TrustedProxyAuthBackend(auth)))
    assert client.get("/admin", headers=headers(groups=["admins"])).json() == {"admin": "test-user"}
    assert client.get("/admin", headers=headers(groups=["staff"])).status_code == 403
    # A scope named like the prefixed group does not pass for it... unless the prefix is removed on purpose.
    assert client.get("/reports", headers=headers(groups=["reports:read"])).status_code == 401
    merged = TestClient(starlette_app(TrustedProxyAuthBackend(auth, group_prefix="")))
    assert merged.get("/reports", headers=headers(groups=["reports:read"])).status_code == 200


def test_a_granted_scope_never_passes_for_a_prefixed_group(auth: TrustedProxyAuth) -> None:
    # The other direction: a scope (often granted by consent) spelled like a prefixed group, in `scope` or `scp`,
    # must not pass `@requires("group:admins")`, nor show up among the scopes as if it were that group.
    client = TestClient(starlette_app(TrustedProxyAuthBackend(auth)))
    assert client.get("/admin", headers=headers(scope="group:admins")).status_code == 403
    assert client.get("/admin", headers=headers(scp=["group:admins"])).status_code == 403
    scopes = client.get("/me", headers=headers(scope="group:admins reports:read")).json()["scopes"]
    assert scopes == ["authenticated", "reports:read"]


def test_rejections_are_problem_json_with_contract_codes(auth: TrustedProxyAuth, endpoint: JwksEndpoint) -> None:
    client = TestClient(starlette_app(TrustedProxyAuthBackend(auth)))
    missing = client.get("/me")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"].startswith('Bearer realm="trusted-proxy"')
    assert missing.json()["code"] == "missing_assertion"
    assert missing.json()["instance"] == "/me"
    token = ISSUER.make_assertion(exp=int(time.time()) - 100)
    expired = client.get("/me", headers=proxy_headers(token))
    assert (expired.status_code, expired.json()["code"]) == (401, "expired")
    assert token not in expired.text
    # A fresh verifier whose key fetch fails: 503 with Retry-After.
    endpoint.set_failures(["503"])
    failing = verifier_for(ISSUER, endpoint, {"TRUSTED_PROXY_JWKS_TIMEOUT": "1"})
    try:
        unavailable = TestClient(starlette_app(TrustedProxyAuthBackend(failing))).get("/me", headers=headers())
    finally:
        failing.close()
    assert (unavailable.status_code, unavailable.json()["code"]) == (503, "jwks_unavailable")
    assert "retry-after" in unavailable.headers


class DirectoryBackend(TrustedProxyAuthBackend):
    """Loads the application's own user; an unknown subject has none."""

    async def user_for(self, identity: Identity) -> BaseUser | None:
        return TrustedUser(identity) if identity.subject != "stranger" else None


def test_user_for_returning_none_is_forbidden(auth: TrustedProxyAuth) -> None:
    client = TestClient(starlette_app(DirectoryBackend(auth)))
    assert client.get("/me", headers=headers()).status_code == 200
    denied = client.get("/me", headers=headers(sub="stranger"))
    assert (denied.status_code, denied.json()["code"]) == (403, "forbidden_user")


def test_optional_mode_and_excluded_paths_are_unauthenticated(endpoint: JwksEndpoint) -> None:
    optional = verifier_for(ISSUER, endpoint, {"TRUSTED_PROXY_MODE": "optional"})
    try:
        client = TestClient(starlette_app(TrustedProxyAuthBackend(optional, exclude_paths=["/healthz"])))
        anonymous = client.get("/me").json()
        assert anonymous == {"authenticated": False, "name": "", "id": None, "scopes": []}
        assert client.get("/admin").status_code == 403
        assert client.get("/me", headers=proxy_headers("not-a-jws")).json()["code"] == "malformed_assertion"
        # Excluded: not verified at all, so even a broken assertion passes as anonymous.
        assert client.get("/healthz", headers=proxy_headers("not-a-jws")).json()["authenticated"] is False
    finally:
        optional.close()


# --- FastAPI: the Security scheme in OpenAPI, and the dependencies behind AuthenticationMiddleware.


def fastapi_app(auth: TrustedProxyAuth, header: str | None = None) -> FastAPI:
    app = FastAPI(responses=problem_responses())
    app.state.trusted_proxy_auth = auth
    install_problem_details(app)
    user = security_user(header=header)

    @app.get("/me")
    async def read_me(identity: Identity = Security(user)) -> dict[str, Any]:
        return {"subject": identity.subject}

    @app.get("/admin", responses=problem_responses(403))
    async def read_admin(
        identity: Identity = Security(security_user(header=header, groups={"any": ["admins"]})),
    ) -> dict[str, Any]:
        return {"admin": identity.subject}

    @app.get("/maybe")
    async def read_maybe(identity: Identity | None = Security(optional_security_user(header=header))) -> Any:
        return {"subject": identity.subject if identity else None}

    @app.get("/public")
    async def read_public() -> dict[str, bool]:
        return {"public": True}

    return app


def test_openapi_shows_the_assertion_header_and_problem_responses(auth: TrustedProxyAuth) -> None:
    schema = TestClient(fastapi_app(auth, header="X-Test-Assertion")).get("/openapi.json").json()
    assert schema["components"]["securitySchemes"][ASSERTION_SCHEME_NAME] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Test-Assertion",
        "description": schema["components"]["securitySchemes"][ASSERTION_SCHEME_NAME]["description"],
    }
    me_operation = schema["paths"]["/me"]["get"]
    assert me_operation["security"] == [{ASSERTION_SCHEME_NAME: []}]
    assert {"401", "403", "503"} <= set(me_operation["responses"])
    problem = me_operation["responses"]["401"]["content"]["application/problem+json"]["schema"]
    assert problem["properties"]["code"] == {"type": "string"}
    assert "missing_assertion" in me_operation["responses"]["401"]["description"]
    assert "forbidden_user" in schema["paths"]["/admin"]["get"]["responses"]["403"]["description"]
    assert "security" not in schema["paths"]["/public"]["get"]
    bearer = TestClient(fastapi_app(auth, header="Authorization")).get("/openapi.json").json()
    assert bearer["components"]["securitySchemes"][ASSERTION_SCHEME_NAME]["type"] == "http"
    assert bearer["components"]["securitySchemes"][ASSERTION_SCHEME_NAME]["scheme"] == "bearer"


def test_openapi_header_defaults_to_the_configured_one(auth: TrustedProxyAuth, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_ASSERTION_HEADER", "Cf-Access-Jwt-Assertion")
    schema = TestClient(fastapi_app(auth)).get("/openapi.json").json()
    assert schema["components"]["securitySchemes"][ASSERTION_SCHEME_NAME]["name"] == "Cf-Access-Jwt-Assertion"


def test_security_dependencies_verify_and_answer_problem_json(auth: TrustedProxyAuth) -> None:
    client = TestClient(fastapi_app(auth))
    assert client.get("/me", headers=headers(sub="ann")).json() == {"subject": "ann"}
    missing = client.get("/me")
    assert (missing.status_code, missing.json()["code"]) == (401, "missing_assertion")
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.get("/admin", headers=headers(groups=["admins"])).json() == {"admin": "test-user"}
    forbidden = client.get("/admin", headers=headers())
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden_user")
    assert client.get("/maybe").json() == {"subject": None}
    assert client.get("/maybe", headers=headers()).json() == {"subject": "test-user"}


def test_fastapi_dependencies_reuse_the_backends_verification(auth: TrustedProxyAuth, endpoint: JwksEndpoint) -> None:
    events: list[dict[str, Any]] = []
    counting = TrustedProxyAuth(
        auth.config, transport=endpoint.transport, async_transport=endpoint.async_transport, on_event=events.append
    )
    app = FastAPI(middleware=[authentication_middleware(counting)])

    @app.get("/both")
    async def both(request: Request, identity: Identity = Depends(require_user)) -> dict[str, Any]:
        return {"subject": identity.subject, "user": request.user.display_name}

    try:
        response = TestClient(app).get("/both", headers=headers(name="Ann"))
    finally:
        counting.close()
    assert response.json() == {"subject": "test-user", "user": "Ann"}
    assert [event["type"] for event in events].count("verify_ok") == 1


def test_under_a_real_uvicorn_server(auth: TrustedProxyAuth) -> None:
    app = starlette_app(TrustedProxyAuthBackend(auth))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # A watchdog against a server that never starts, not a limit on a busy machine's speed.
    deadline = time.monotonic() + 180
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.get("/admin", headers=headers(groups=["admins"], name="Ann")).json() == {"admin": "Ann"}
            rejected = client.get("/admin")
            assert (rejected.status_code, rejected.json()["code"]) == (401, "missing_assertion")
    finally:
        server.should_exit = True
        thread.join(180)


def websocket_app(backend: TrustedProxyAuthBackend) -> Starlette:
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"user": websocket.user.display_name, "scopes": websocket.auth.scopes})
        await websocket.close()

    return Starlette(routes=[WebSocketRoute("/ws", ws)], middleware=[authentication_middleware(backend=backend)])


def test_websocket_handshakes_are_authenticated_and_denied_with_the_problem(auth: TrustedProxyAuth) -> None:
    client = TestClient(websocket_app(TrustedProxyAuthBackend(auth)))
    with client.websocket_connect("/ws", headers=headers(name="Ann")) as websocket:
        assert websocket.receive_json() == {"user": "Ann", "scopes": ["authenticated"]}
    with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect("/ws"):
        pass
    assert denied.value.status_code == 401
    assert denied.value.json()["code"] == "missing_assertion"


def test_websocket_is_closed_with_1008_without_the_denial_extension(auth: TrustedProxyAuth) -> None:
    app = websocket_app(TrustedProxyAuthBackend(auth))
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/ws", "headers": [], "client": ("127.0.0.1", 5000), "extensions": {}}
    asyncio.run(app(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": "missing_assertion"}]
