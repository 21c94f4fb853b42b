"""Flask extension: `TrustedProxyAuth(app)` puts the verified identity on `flask.g`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Request, Response, current_app, g, request

from . import verifier
from ._contract import env_variables
from .config import load_config
from .errors import TrustedProxyAuthError
from .identity import Identity
from .problem_details import to_problem_details
from .requirements import RequirementCheck, RouteRequirements

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION_KEY = "trusted_proxy_auth"


def problem_response(error: TrustedProxyAuthError, *, problem_detail: str | None = None) -> Response:
    """The RFC 9457 answer for a rejection; it never echoes the assertion. `problem_detail` defaults to the
    setting of the app's extension (option `problemDetail` of contract/env.json)."""
    if problem_detail is None:
        extension = current_app.extensions.get(EXTENSION_KEY)
        auth = getattr(extension, "auth", None)
        problem_detail = auth.config.problem_detail if auth is not None else "generic"
    problem = to_problem_details(error, request.path, problem_detail=problem_detail)
    return Response(json.dumps(problem.body), status=problem.status, headers=problem.headers)


def _settings_from(app: Flask) -> dict[str, str]:
    """The environment, with contract variables set in `app.config` winning (lists joined with commas)."""
    names = {variable["name"] for variable in env_variables()}
    merged = dict(os.environ)
    for name in names & set(app.config):
        value = app.config[name]
        merged[name] = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return merged


class TrustedProxyAuth:
    """Verifies every request before its view runs (`before_request`).

    `g.trusted_identity` is the identity and `g.user` the identity or what `resolve_user` returned; both
    are None in mode `optional` without an assertion (guard views with `login_required`). A rejection is a
    problem+json answer with the contract's status. Configuration: TRUSTED_PROXY_* from `app.config`, then
    the environment; or pass a ready `auth` verifier. Endpoints named in `exempt` and exact paths in
    `exclude_paths` (as the ASGI and Django middleware take them) are not verified.

    With Flask-Login (`pip install trusted-proxy-auth[flask-login]`), pass its `LoginManager` as
    `login_manager`: `flask_login.current_user` becomes the verified user (`resolve_user`'s, when it has
    `is_authenticated` and `get_id`, else an `IdentityUser`) and `flask_login.login_required` works. A session or
    remember-me cookie naming someone else is logged out; in mode `optional` a request without an assertion
    keeps Flask-Login's own user (the proxy vouched for nobody).

    WSGI merges `X-Foo-Bar` and `X-Foo_Bar` into one variable, so the proxy (or the WSGI server) must drop
    header names with underscores; NGINX and Apache do by default.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        auth: verifier.TrustedProxyAuth | None = None,
        resolve_user: Callable[[Identity], Any] | None = None,
        exempt: Iterable[str] = (),
        exclude_paths: Iterable[str] = (),
        login_manager: Any = None,
    ) -> None:
        self.auth = auth
        self.resolve_user = resolve_user
        self.exempt = frozenset(exempt)
        self.exclude_paths = frozenset(exclude_paths)
        #: A `flask_login.LoginManager` fed by the verified identity, or None.
        self.login_manager = login_manager
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if self.auth is None:
            self.auth = verifier.TrustedProxyAuth.shared(load_config(_settings_from(app)))
        app.extensions[EXTENSION_KEY] = self
        if self.login_manager is not None:
            from ._flask_login import install_request_loader

            install_request_loader(self.login_manager)
        app.before_request(self._before_request)

    def _before_request(self) -> Response | None:
        # The request and `g` themselves, not their context-local proxies: every attribute read through a proxy
        # looks the context up again, and this runs on every request.
        req = cast("Request", request._get_current_object())  # type: ignore[attr-defined]
        flask_g = g._get_current_object()
        flask_g.trusted_identity = None
        flask_g.user = None
        if req.endpoint in self.exempt or req.path in self.exclude_paths or self.auth is None:
            return None
        try:
            identity = self.auth.verify_request(list(req.headers.items()), req.remote_addr)
            user: Any = identity
            if identity is not None and self.resolve_user is not None:
                user = self.resolve_user(identity)
                if user is None:
                    raise TrustedProxyAuthError("forbidden_user")
        except TrustedProxyAuthError as error:
            return problem_response(error)
        flask_g.trusted_identity = identity
        flask_g.user = user
        if identity is not None and self.login_manager is not None:
            from ._flask_login import bind_login_user, login_user_for

            bind_login_user(self.login_manager, login_user_for(user, identity))
        return None


def current_identity() -> Identity | None:
    """The identity of the current request (None without an assertion in mode `optional`)."""
    identity = g.get("trusted_identity")
    return identity if isinstance(identity, Identity) else None


def login_required(view: F) -> F:
    """Rejects a request without a verified identity with 401 `missing_assertion`."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_identity() is None:
            return problem_response(TrustedProxyAuthError("missing_assertion"))
        return view(*args, **kwargs)

    return cast("F", guarded)


def require_identity(
    *,
    claims: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    scopes: Sequence[str] | None = None,
    check: RequirementCheck | None = None,
) -> Callable[[F], F]:
    """A view decorator for a route guard (contract/requirements.json), below `@app.route`.

    ``@require_identity(groups={"any": ["admins"]})``. It reads `g.trusted_identity`; without one: 401
    `missing_assertion`; a failed requirement: 403 `forbidden_user` (the error's `detail` names it); a
    `TrustedProxyAuthError` raised by `check(identity, flask.request)` keeps its code. An async `check`
    runs to completion on a fresh event loop. Other exceptions of the check propagate to Flask.

    Raises:
        TrustedProxyAuthError: `invalid_config` at once for a malformed requirement.
    """
    requirements = RouteRequirements(claims=claims, groups=groups, scopes=scopes, check=check)

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                requirements.enforce(current_identity(), request)
            except TrustedProxyAuthError as error:
                return problem_response(error)
            return view(*args, **kwargs)

        return cast("F", guarded)

    return decorate
