"""Pure ASGI middleware for Starlette and FastAPI: `request.state.user` for HTTP and WebSocket scopes."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from .errors import TrustedProxyAuthError
from .identity import Identity
from .problem_details import to_problem_details
from .verifier import TrustedProxyAuth

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: Turns the verified identity into the application's user; None rejects the request (403 forbidden_user).
ResolveUser = Callable[[Identity], Any]

#: Keys of `scope["state"]` (what `request.state` reads) the middleware fills.
STATE_USER = "user"
STATE_IDENTITY = "trusted_identity"
STATE_CHECKED = "trusted_proxy_auth_checked"


def problem_body(
    error: TrustedProxyAuthError, instance: str | None = None, *, problem_detail: str = "generic"
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, raw headers and JSON body of the problem answer (it never echoes the assertion).
    `problem_detail`: the verifier's `problem_detail` setting."""
    problem = to_problem_details(error, instance, problem_detail=problem_detail)
    body = json.dumps(problem.body, separators=(",", ":")).encode("utf-8")
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in problem.headers.items()]
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    return problem.status, headers, body


async def resolve(resolve_user: ResolveUser | None, identity: Identity) -> Any:
    if resolve_user is None:
        return identity
    user = resolve_user(identity)
    if inspect.isawaitable(user):
        user = await user
    if user is None:
        raise TrustedProxyAuthError("forbidden_user")
    return user


def peer_address(scope: Scope) -> str | None:
    """The socket peer the server reports (`scope["client"]`), never a forwarded address."""
    client = scope.get("client")
    return str(client[0]) if client else None


class TrustedProxyAuthMiddleware:
    """Verifies every HTTP request and WebSocket handshake before the application sees it.

    On success `request.state.user` is the identity (or what `resolve_user` returned) and
    `request.state.trusted_identity` the identity; in mode `optional` both are None without an assertion.
    A rejection is an RFC 9457 problem+json answer with the contract's status (`WWW-Authenticate` on 401,
    `Retry-After` on 503); a WebSocket handshake is denied with that HTTP answer where the server supports
    it, else closed with code 1008 before it is accepted. Paths in `exclude_paths` (health checks) pass
    unverified.

    An invalid configuration (`invalid_config`) stops the server at start-up: Starlette and FastAPI build
    their middleware on the first ASGI call, the lifespan one, where raising would only make uvicorn's
    `--lifespan auto` (its default) decide that lifespan is unsupported and serve 500 on every route. So
    the error is kept and answered as `lifespan.startup.failed` with every problem variable in its text
    (uvicorn and hypercorn then exit non-zero); a server without lifespan gets the error raised on each
    request.
    """

    def __init__(
        self,
        app: ASGIApp,
        auth: TrustedProxyAuth | None = None,
        *,
        resolve_user: ResolveUser | None = None,
        exclude_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.resolve_user = resolve_user
        self.exclude_paths = frozenset(exclude_paths)
        self.configuration_error: TrustedProxyAuthError | None = None
        try:
            self.auth = auth if auth is not None else TrustedProxyAuth.shared()
        except TrustedProxyAuthError as error:
            if error.code != "invalid_config":
                raise
            self.configuration_error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.configuration_error is not None:
            await self._refuse_to_start(scope, receive, send, self.configuration_error)
            return
        scope_type = scope["type"]
        if (scope_type != "http" and scope_type != "websocket") or (
            self.exclude_paths and scope.get("path") in self.exclude_paths
        ):
            await self.app(scope, receive, send)
            return
        # Every request passes here. A cache hit is decided by one synchronous call (the same as
        # `averify_request` makes), so a hit awaits nothing unless a resolver is set.
        auth = self.auth
        client = scope.get("client")
        try:
            identity = auth._request_hit(scope.get("headers", ()), str(client[0]) if client else None, None)
            if identity.__class__ is str:
                identity = await auth._averify_missed(identity)
            user = (
                identity
                if identity is None or self.resolve_user is None
                else await resolve(self.resolve_user, identity)  # type: ignore[arg-type]
            )
        except TrustedProxyAuthError as error:
            await self._reject(scope, receive, send, error)
            return
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state[STATE_USER] = user
        state[STATE_IDENTITY] = identity
        state[STATE_CHECKED] = True
        await self.app(scope, receive, send)

    async def _refuse_to_start(self, scope: Scope, receive: Receive, send: Send, error: TrustedProxyAuthError) -> None:
        if scope["type"] != "lifespan":
            raise error
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.failed", "message": str(error)})

    async def _reject(self, scope: Scope, receive: Receive, send: Send, error: TrustedProxyAuthError) -> None:
        await reject(scope, receive, send, error, problem_detail=self.auth.config.problem_detail)


async def reject(
    scope: Scope, receive: Receive, send: Send, error: TrustedProxyAuthError, *, problem_detail: str = "generic"
) -> None:
    """Answers a rejected HTTP request with its problem+json; denies a WebSocket handshake with that HTTP answer
    where the server supports it (the `websocket.http.response` extension), else closes it with 1008 and the
    code as reason, before it is accepted."""
    status, headers, body = problem_body(error, scope.get("path"), problem_detail=problem_detail)
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await receive()  # websocket.connect
    if "websocket.http.response" in scope.get("extensions", {}):
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": error.code})
