"""ASGI middleware (Starlette, FastAPI) that mounts the enrollment page and verifies every other request with the
enrolled configuration: `not_enrolled` (503) until an administrator trusts the proxy on the page, then enforcing
without a restart, and back to `not_enrolled` on revoke."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl

import httpx

from trusted_proxy_auth.asgi import (
    STATE_CHECKED,
    STATE_IDENTITY,
    STATE_USER,
    ASGIApp,
    Receive,
    ResolveUser,
    Scope,
    Send,
    peer_address,
    problem_body,
    resolve,
)
from trusted_proxy_auth.errors import TrustedProxyAuthError

from .page import DEFAULT_ENROLLMENT_PATH, MAX_FORM_BYTES, EnrollmentPage, EnrollmentPageSettings, PageRequest


class _FormTooLarge(Exception):
    pass


async def _read_form(scope: Scope, receive: Receive) -> dict[str, str]:
    """The url-encoded form of the request (the last of repeated fields wins); another content type gives {}."""
    chunks: list[bytes] = []
    length = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body = message.get("body", b"")
        length += len(body)
        if length > MAX_FORM_BYTES:
            raise _FormTooLarge
        chunks.append(body)
        if not message.get("more_body", False):
            break
    content_type = next(
        (value.decode("latin-1") for name, value in scope.get("headers", []) if name.lower() == b"content-type"), ""
    )
    if not content_type.lower().startswith("application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl(b"".join(chunks).decode("utf-8", errors="replace"), keep_blank_values=True))


class TrustedProxyEnrollmentMiddleware:
    """Serves the enrollment page under `path` (default `/.well-known/trusted-proxy-auth/enroll`) and verifies
    every other HTTP request and WebSocket handshake like `TrustedProxyAuthMiddleware`, with the configuration the
    enrollment record (`file`, default the enrollment file setting) gives. While not enrolled, protected routes
    answer 503 `not_enrolled` and the one-time enrollment code is logged (logger `trusted_proxy_auth.enrollment`,
    WARNING). `env` defaults to os.environ; `overrides` are snake_case options that win over it. When no record
    path is named or an existing record is invalid (`invalid_config`), the server's start-up fails with every
    problem (lifespan `startup.failed`); without lifespan each request raises it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str = DEFAULT_ENROLLMENT_PATH,
        file: str | None = None,
        preset: str | None = None,
        discovery: bool = True,
        secure_cookie: bool | Literal["auto"] = "auto",
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
        resolve_user: ResolveUser | None = None,
        exclude_paths: Iterable[str] = (),
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.app = app
        self.resolve_user = resolve_user
        self.exclude_paths = frozenset(exclude_paths)
        settings = EnrollmentPageSettings(
            path=path,
            file=file,
            preset=preset,
            discovery=discovery,
            secure_cookie=secure_cookie,
            overrides=dict(overrides or {}),
        )
        self.configuration_error: TrustedProxyAuthError | None = None
        try:
            self.page = EnrollmentPage(
                settings,
                env=dict(os.environ if env is None else env),
                transport=transport,
                async_transport=async_transport,
            )
        except TrustedProxyAuthError as error:
            if error.code != "invalid_config":
                raise
            # As TrustedProxyAuthMiddleware does: Starlette builds middleware in the lifespan call, where raising
            # would only make uvicorn serve 500 everywhere; the start-up is failed with the problems instead.
            self.configuration_error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.configuration_error is not None:
            if scope["type"] != "lifespan":
                raise self.configuration_error
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.failed", "message": str(self.configuration_error)})
            return
        if scope["type"] not in ("http", "websocket") or scope.get("path") in self.exclude_paths:
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and self.page.handles(path):
            await self._page(scope, receive, send)
            return
        verifier = self.page.verifier
        try:
            identity = await verifier.averify_request(scope.get("headers", []), peer_address(scope))
            user = None if identity is None else await resolve(self.resolve_user, identity)
        except TrustedProxyAuthError as error:
            await self._reject(scope, receive, send, error)
            return
        state = scope.setdefault("state", {})
        state[STATE_USER] = user
        state[STATE_IDENTITY] = identity
        state[STATE_CHECKED] = True
        await self.app(scope, receive, send)

    async def _page(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = str(scope.get("method", "GET"))
        form: dict[str, str] | None = None
        if method.upper() == "POST":
            try:
                form = await _read_form(scope, receive)
            except _FormTooLarge:
                await send({"type": "http.response.start", "status": 413, "headers": [(b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
        request = PageRequest(method, str(scope.get("path", "")), scope.get("headers", []), form, peer_address(scope))
        response = await self.page.handle(request)
        body = b"" if method.upper() == "HEAD" else response.body.encode("utf-8")
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()]
        headers.append((b"content-length", str(len(response.body.encode("utf-8"))).encode("ascii")))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _reject(self, scope: Scope, receive: Receive, send: Send, error: TrustedProxyAuthError) -> None:
        status, headers, body = problem_body(error, scope.get("path"), problem_detail=self.page.verifier.problem_detail)
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await receive()
        await send({"type": "websocket.close", "code": 1008, "reason": error.code})
