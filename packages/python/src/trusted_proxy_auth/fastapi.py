"""FastAPI dependencies: `Depends(require_user)`, `Depends(optional_user)` and route guards
`Depends(require_identity(...))`, with or without the middleware; `Security(security_user())` does the same
and shows the assertion header as a security scheme in `/docs`, with `responses=problem_responses()` for
the 401/403/503 answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import cache
from typing import Any

from fastapi import FastAPI, HTTPException, Security, WebSocketException
from fastapi.requests import HTTPConnection, Request
from fastapi.responses import JSONResponse

from ._assertion_scheme import ASSERTION_SCHEME_NAME, assertion_scheme, problem_responses
from .asgi import STATE_CHECKED, STATE_IDENTITY, peer_address
from .errors import TrustedProxyAuthError
from .identity import Identity
from .problem_details import to_problem_details
from .requirements import RequirementCheck, RouteRequirements
from .verifier import TrustedProxyAuth

#: `app.state.trusted_proxy_auth`, when set, is the verifier the dependencies use.
APP_STATE_KEY = "trusted_proxy_auth"


class TrustedProxyAuthHTTPException(HTTPException):
    """A rejection as an HTTPException: status and headers from the contract, detail = the fixed message.
    With `install_problem_details(app)` it is answered as application/problem+json."""

    def __init__(self, error: TrustedProxyAuthError, *, problem_detail: str = "generic") -> None:
        problem = to_problem_details(error, problem_detail=problem_detail)
        headers = {name: value for name, value in problem.headers.items() if name != "content-type"}
        super().__init__(status_code=problem.status, detail=problem.body["detail"], headers=headers)
        self.error = error
        #: The `problem_detail` setting of the verifier that rejected the request.
        self.problem_detail = problem_detail


async def _problem_handler(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, TrustedProxyAuthHTTPException):
        problem = to_problem_details(exc.error, request.url.path, problem_detail=exc.problem_detail)
    else:
        problem = to_problem_details(TrustedProxyAuthError("invalid_config"), request.url.path)
    return JSONResponse(
        problem.body, status_code=problem.status, headers=problem.headers, media_type=problem.headers["content-type"]
    )


def install_problem_details(app: FastAPI) -> None:
    """Answers the dependencies' rejections as RFC 9457 problem+json instead of FastAPI's `{"detail"}`."""
    app.add_exception_handler(TrustedProxyAuthHTTPException, _problem_handler)


@cache
def _default_auth() -> TrustedProxyAuth:
    # Cached: the environment is read once, not on every request.
    return TrustedProxyAuth.shared()


def _auth_for(connection: HTTPConnection) -> TrustedProxyAuth:
    configured: Any = getattr(connection.app.state, APP_STATE_KEY, None)
    return configured if isinstance(configured, TrustedProxyAuth) else _default_auth()


def _raise(connection: HTTPConnection, error: TrustedProxyAuthError) -> None:
    if connection.scope["type"] == "websocket":
        raise WebSocketException(code=1008, reason=error.code)
    raise TrustedProxyAuthHTTPException(error, problem_detail=_auth_for(connection).config.problem_detail)


async def _identity(connection: HTTPConnection) -> Identity | None:
    state = connection.scope.setdefault("state", {})
    if not state.get(STATE_CHECKED):
        try:
            identity = await _auth_for(connection).averify_request(
                connection.scope["headers"], peer_address(connection.scope)
            )
        except TrustedProxyAuthError as error:
            if error.code != "missing_assertion":
                _raise(connection, error)
            identity = None
        state[STATE_IDENTITY] = identity
        state[STATE_CHECKED] = True
    identity = state.get(STATE_IDENTITY)
    return identity if isinstance(identity, Identity) else None


async def optional_user(connection: HTTPConnection) -> Identity | None:
    """The verified identity, or None when the request carries no assertion; a bad assertion is rejected."""
    return await _identity(connection)


async def require_user(connection: HTTPConnection) -> Identity:
    """The verified identity; a request without one is rejected with 401 (`missing_assertion`)."""
    identity = await _identity(connection)
    if identity is None:
        _raise(connection, TrustedProxyAuthError("missing_assertion"))
        raise AssertionError("unreachable")
    return identity


def require_identity(
    *,
    claims: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    scopes: Sequence[str] | None = None,
    check: RequirementCheck | None = None,
) -> Callable[[Request], Awaitable[Identity]]:
    """A dependency for a route guard (contract/requirements.json) that returns the verified identity.

    ``identity: Identity = Depends(require_identity(groups={"any": ["admins"]}))`` or
    ``dependencies=[Depends(require_identity(scopes=["reports:read"]))]``. Without an identity: 401
    `missing_assertion`; a failed requirement: 403 `forbidden_user` (the error's `detail` names it); a
    `TrustedProxyAuthError` raised by `check(identity, request)` keeps its code. Rejections are
    `TrustedProxyAuthHTTPException` (problem+json with `install_problem_details(app)`).

    Raises:
        TrustedProxyAuthError: `invalid_config` at once for a malformed requirement.
    """
    requirements = RouteRequirements(claims=claims, groups=groups, scopes=scopes, check=check)

    async def trusted_proxy_requirement(request: Request) -> Identity:
        identity = await _identity(request)
        try:
            return await requirements.aenforce(identity, request)
        except TrustedProxyAuthError as error:
            _raise(request, error)
            raise AssertionError("unreachable") from error

    return trusted_proxy_requirement


__all__ = [
    "APP_STATE_KEY",
    "ASSERTION_SCHEME_NAME",
    "TrustedProxyAuthHTTPException",
    "install_problem_details",
    "optional_security_user",
    "optional_user",
    "problem_responses",
    "require_identity",
    "require_user",
    "security_user",
]


def security_user(
    *,
    header: str | None = None,
    claims: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    scopes: Sequence[str] | None = None,
    check: RequirementCheck | None = None,
) -> Callable[..., Awaitable[Identity]]:
    """Like `require_user` (or `require_identity(...)` when requirements are given), and declares the assertion
    header as the OpenAPI security scheme `TrustedProxyAssertion` (an API key in `header`, default the configured
    assertion header, contract option `assertionHeader`; HTTP bearer when that is `Authorization`), so `/docs`
    shows it.

    ``identity: Identity = Security(security_user(groups={"any": ["admins"]}))``, with
    ``responses=problem_responses()`` on the route, router or app to document the 401/403/503 answers.

    Raises:
        TrustedProxyAuthError: `invalid_config` at once for a malformed requirement.
    """
    scheme = assertion_scheme(header)
    guard = require_identity(claims=claims, groups=groups, scopes=scopes, check=check)

    async def trusted_proxy_assertion(request: Request, _assertion: Any = Security(scheme)) -> Identity:
        return await guard(request)

    return trusted_proxy_assertion


def optional_security_user(*, header: str | None = None) -> Callable[..., Awaitable[Identity | None]]:
    """Like `optional_user`, declaring the security scheme as `security_user` does (marked optional in OpenAPI)."""
    scheme = assertion_scheme(header)

    async def trusted_proxy_optional_assertion(request: Request, _assertion: Any = Security(scheme)) -> Identity | None:
        return await _identity(request)

    return trusted_proxy_optional_assertion
