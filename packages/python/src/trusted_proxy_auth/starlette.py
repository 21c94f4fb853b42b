"""Starlette's own authentication, fed by the verified identity: `AuthenticationMiddleware` with
`TrustedProxyAuthBackend`, so `request.user`, `request.auth.scopes` and `@requires` work (also in FastAPI).

::

    from starlette.applications import Starlette
    from starlette.authentication import requires
    from trusted_proxy_auth.starlette import authentication_middleware

    app = Starlette(routes=[...], middleware=[authentication_middleware(exclude_paths=["/healthz"])])

    @requires("group:admins")
    async def admin(request): return JSONResponse({"user": request.user.display_name})

A rejected request is answered by `on_auth_error` as RFC 9457 problem+json with the contract's code and
status (401 with `WWW-Authenticate`, 403, 503 with `Retry-After`). A rejected WebSocket handshake is denied
as `trusted_proxy_auth.asgi.TrustedProxyAuthMiddleware` denies it (`TrustedProxyAuthenticationMiddleware`;
Starlette's own middleware would close it with code 1000 and no reason).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Iterable
from typing import Any

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    UnauthenticatedUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from .asgi import STATE_CHECKED, STATE_IDENTITY, STATE_USER, peer_address, reject
from .errors import TrustedProxyAuthError
from .identity import Identity
from .problem_details import to_problem_details
from .requirements import granted_scopes
from .verifier import TrustedProxyAuth

#: The scope every verified request has, Starlette's convention for `@requires("authenticated")`.
AUTHENTICATED_SCOPE = "authenticated"
#: Groups become scopes with this prefix (`group:admins`), so a group never passes for an OAuth scope of the
#: same name: scopes are often granted by consent, groups by an administrator.
DEFAULT_GROUP_PREFIX = "group:"


class TrustedUser(BaseUser):
    """`request.user` for a verified identity: authenticated, `identity` is the subject (Starlette's "unique
    id" of a user), `display_name` the name, else the email, else the subject; the whole verified identity is
    `trusted_identity`."""

    def __init__(self, trusted_identity: Identity) -> None:
        self.trusted_identity = trusted_identity

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.trusted_identity.name or self.trusted_identity.email or self.trusted_identity.subject

    @property
    def identity(self) -> str:
        return self.trusted_identity.subject

    def __repr__(self) -> str:
        return f"TrustedUser(subject={self.trusted_identity.subject!r})"


class TrustedProxyAuthenticationError(AuthenticationError):
    """What the backend raises for a rejected request; `error` is the library's error (code, status, detail)
    and `problem_detail` the verifier's `problem_detail` setting, both read by `on_auth_error`."""

    def __init__(self, error: TrustedProxyAuthError, *, problem_detail: str = "generic") -> None:
        super().__init__(error.message)
        self.error = error
        self.problem_detail = problem_detail


def on_auth_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    """`AuthenticationMiddleware(on_error=...)`: the problem+json answer for a rejection (never the assertion).
    An `AuthenticationError` that is not the backend's own becomes a generic 500 problem."""
    if isinstance(exc, TrustedProxyAuthenticationError):
        problem = to_problem_details(exc.error, conn.url.path, problem_detail=exc.problem_detail)
    else:
        problem = to_problem_details(exc, conn.url.path)
    return JSONResponse(
        problem.body, status_code=problem.status, headers=problem.headers, media_type=problem.headers["content-type"]
    )


class TrustedProxyAuthBackend(AuthenticationBackend):
    """Verifies the assertion of every HTTP request and WebSocket handshake for Starlette's
    `AuthenticationMiddleware`.

    Returns `(AuthCredentials(scopes), user)`: scopes are `authenticated`, every group with `group_prefix`
    (default `group:`; `""` merges groups and scopes) and every scope the assertion grants (`scope`, `scp`;
    RFC 8693 section 4.2). The user is `user_for(identity)`, a `TrustedUser` unless overridden; `user_for`
    returning None rejects with 403 `forbidden_user`, as every adapter's resolver does. In mode `optional` a
    request without an assertion is unauthenticated (`request.user.is_authenticated` is False); paths in
    `exclude_paths` are not verified and are unauthenticated. The identity is also left where
    `trusted_proxy_auth.fastapi`'s dependencies read it, so they do not verify a second time.

    `auth` defaults to the shared verifier of the environment's configuration, built here: an invalid
    configuration raises `TrustedProxyAuthError` `invalid_config` when the app is assembled.
    """

    def __init__(
        self,
        auth: TrustedProxyAuth | None = None,
        *,
        exclude_paths: Iterable[str] = (),
        group_prefix: str = DEFAULT_GROUP_PREFIX,
    ) -> None:
        self.auth = auth if auth is not None else TrustedProxyAuth.shared()
        self.exclude_paths = frozenset(exclude_paths)
        self.group_prefix = group_prefix

    def scopes_for(self, identity: Identity) -> list[str]:
        """`authenticated`, the prefixed groups, then the granted scopes, each once, in that order. A granted
        scope that starts with `group_prefix` is dropped: otherwise a scope spelled `group:admins` (granted by
        consent, say) would pass `@requires("group:admins")`, which only a group may."""
        scopes = [AUTHENTICATED_SCOPE, *(self.group_prefix + group for group in identity.groups)]
        granted = granted_scopes(identity.claims)
        if self.group_prefix:
            granted = frozenset(scope for scope in granted if not scope.startswith(self.group_prefix))
        scopes += sorted(granted)
        return list(dict.fromkeys(scopes))

    def user_for(self, identity: Identity) -> BaseUser | Awaitable[BaseUser | None] | None:
        """The `request.user` for a verified identity (sync or async); None rejects with 403 `forbidden_user`.
        Override to load the application's own user (it should subclass `BaseUser`)."""
        return TrustedUser(identity)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        """Raises:
        TrustedProxyAuthenticationError: any rejection, carrying the contract code (answered by `on_auth_error`).
        """
        if conn.scope.get("path") in self.exclude_paths:
            return None
        try:
            identity = await self.auth.averify_request(conn.scope.get("headers", []), peer_address(conn.scope))
            user = None if identity is None else await self._user(identity)
        except TrustedProxyAuthError as error:
            raise TrustedProxyAuthenticationError(error, problem_detail=self.auth.config.problem_detail) from None
        state: dict[str, Any] = conn.scope.setdefault("state", {})
        state[STATE_IDENTITY] = identity
        state[STATE_USER] = user
        state[STATE_CHECKED] = True
        if identity is None or user is None:
            return None
        return AuthCredentials(self.scopes_for(identity)), user

    async def _user(self, identity: Identity) -> BaseUser:
        user = self.user_for(identity)
        if inspect.isawaitable(user):
            user = await user
        if user is None:
            raise TrustedProxyAuthError("forbidden_user")
        return user


class TrustedProxyAuthenticationMiddleware(AuthenticationMiddleware):
    """Starlette's `AuthenticationMiddleware`, except that a WebSocket handshake the backend rejects is denied with
    the problem+json HTTP answer (servers with the `websocket.http.response` extension) or closed with 1008 and
    the contract code as reason, as `trusted_proxy_auth.asgi.TrustedProxyAuthMiddleware` does, instead of a bare
    close with 1000. HTTP requests are handled by Starlette's own code, answered by `on_error`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        try:
            auth_result = await self.backend.authenticate(HTTPConnection(scope))
        except TrustedProxyAuthenticationError as error:
            await reject(scope, receive, send, error.error, problem_detail=error.problem_detail)
            return
        except AuthenticationError:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
            return
        if auth_result is None:
            auth_result = AuthCredentials(), UnauthenticatedUser()
        scope["auth"], scope["user"] = auth_result
        await self.app(scope, receive, send)


def authentication_middleware(
    auth: TrustedProxyAuth | None = None,
    *,
    backend: TrustedProxyAuthBackend | None = None,
    exclude_paths: Iterable[str] = (),
    group_prefix: str = DEFAULT_GROUP_PREFIX,
) -> Middleware:
    """`Middleware(TrustedProxyAuthenticationMiddleware, backend=TrustedProxyAuthBackend(...),
    on_error=on_auth_error)`, for `Starlette(middleware=[...])` / `FastAPI(middleware=[...])`. Pass `backend` to
    use a subclass."""
    chosen = (
        backend
        if backend is not None
        else TrustedProxyAuthBackend(auth, exclude_paths=exclude_paths, group_prefix=group_prefix)
    )
    return Middleware(TrustedProxyAuthenticationMiddleware, backend=chosen, on_error=on_auth_error)
