"""Django integration: a middleware setting `request.trusted_identity` and an authentication backend.

settings.py::

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "trusted_proxy_auth.django.TrustedProxyAuthMiddleware",
    ]
    AUTHENTICATION_BACKENDS = ["trusted_proxy_auth.django.TrustedProxyAuthBackend"]
    # optional: options in code (snake_case) over the TRUSTED_PROXY_* environment variables
    TRUSTED_PROXY_AUTH = {"options": {"audience": "my-app"}, "create_users": True}
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any, ClassVar, TypeVar, cast

from django.apps import apps
from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest, HttpResponse

from . import verifier
from .config import load_config
from .errors import TrustedProxyAuthError
from .identity import Identity
from .problem_details import to_problem_details
from .requirements import RequirementCheck, RouteRequirements


def _settings() -> dict[str, Any]:
    return dict(getattr(settings, "TRUSTED_PROXY_AUTH", {}) or {})


def problem_response(
    error: TrustedProxyAuthError, instance: str | None = None, *, problem_detail: str = "generic"
) -> HttpResponse:
    """The RFC 9457 answer for a rejection; it never echoes the assertion. `problem_detail`:
    the verifier's `problem_detail` setting."""
    problem = to_problem_details(error, instance, problem_detail=problem_detail)
    response = HttpResponse(
        json.dumps(problem.body), status=problem.status, content_type=problem.headers["content-type"]
    )
    for name, value in problem.headers.items():
        if name != "content-type":
            response[name] = value
    return response


class TrustedProxyAuthMiddleware:
    """Verifies every request; `request.trusted_identity` is the identity (None in mode `optional` without
    an assertion). A rejection is a problem+json answer with the contract's status.

    With django.contrib.auth installed and an authentication backend that maps identities (one whose
    `authenticate` takes `trusted_identity`, such as `TrustedProxyAuthBackend`), `request.user` (and
    `request.auser()`) become the user the backends return for the identity. The proxy's word wins over the
    session, as with Django's `RemoteUserMiddleware`: a session user who differs from that user is logged out
    (the session is flushed), and when the backends return no user (unknown with creation off, inactive) the
    request is denied with 403 `forbidden_user` -- the rule every adapter applies to a resolver that yields no
    user. Without such a backend, `request.user` is anonymous. In mode `optional`, a request without an
    assertion keeps its session user: the proxy vouched for nobody.

    Django reads headers from the WSGI/ASGI environment, where `X-Foo-Bar` and `X-Foo_Bar` look the same, so
    the proxy or server must drop header names with underscores (NGINX and Apache do by default).
    """

    sync_capable = True
    async_capable = False

    def __init__(
        self, get_response: Callable[[HttpRequest], HttpResponse], auth: verifier.TrustedProxyAuth | None = None
    ) -> None:
        self.get_response = get_response
        self.auth = (
            auth
            if auth is not None
            else verifier.TrustedProxyAuth.shared(load_config(**_settings().get("options", {})))
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            identity = self.auth.verify_request(list(request.headers.items()), request.META.get("REMOTE_ADDR"))
            request.trusted_identity = identity
            if identity is not None and apps.is_installed("django.contrib.auth"):
                _bind_user(request, identity)
        except TrustedProxyAuthError as error:
            return problem_response(error, request.path, problem_detail=self.auth.config.problem_detail)
        if not hasattr(request, "user") and apps.is_installed("django.contrib.auth"):
            from django.contrib.auth.models import AnonymousUser

            _set_user(request, AnonymousUser())
        return self.get_response(request)


def _maps_identities(backend: Any) -> bool:
    return "trusted_identity" in inspect.signature(backend.authenticate).parameters


def _bind_user(request: HttpRequest, identity: Identity) -> None:
    """Makes the user the backends map `identity` to the request's user, logging out a differing session user.

    Raises TrustedProxyAuthError `forbidden_user` when identity-mapping backends return no active user.
    """
    from django.contrib.auth import SESSION_KEY, authenticate, get_backends, logout
    from django.contrib.auth.models import AnonymousUser

    maps_identities = any(_maps_identities(backend) for backend in get_backends())
    user = authenticate(request, trusted_identity=identity) if maps_identities else None
    if user is not None and not getattr(user, "is_active", True):
        user = None
    # Read from the session itself, so the order of this and AuthenticationMiddleware does not matter.
    session = getattr(request, "session", None)
    session_user_key = None if session is None else session.get(SESSION_KEY)
    if session_user_key is not None and (user is None or str(user.pk) != str(session_user_key)):
        logout(request)
    _set_user(request, AnonymousUser() if user is None else user)
    if user is None and maps_identities:
        raise TrustedProxyAuthError("forbidden_user")


def _set_user(request: HttpRequest, user: Any) -> None:
    """Sets the user everywhere Django reads it: `request.user`, and the caches behind AuthenticationMiddleware's
    lazy `request.user` and `await request.auser()`."""

    async def auser() -> Any:
        return user

    request.user = user
    request._cached_user = user
    request._acached_user = user
    request.auser = auser


class TrustedProxyAuthBackend(BaseBackend):  # type: ignore[misc]
    """Maps a verified identity to a Django user whose username is the subject.

    Unknown users are created on first sight unless `TRUSTED_PROXY_AUTH["create_users"]` is False (or a
    subclass sets `create_unknown_user = False`). Override `clean_username` or `configure_user` to change the
    mapping; never key users on the email, which proxies pass through unverified from some IdPs.
    """

    create_unknown_user = True

    def authenticate(self, request: HttpRequest | None, trusted_identity: Identity | None = None, **kwargs: Any) -> Any:
        if trusted_identity is None:
            return None
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        username = self.clean_username(trusted_identity.subject)
        create = bool(_settings().get("create_users", self.create_unknown_user))
        manager = user_model._default_manager
        if create:
            user, created = manager.get_or_create(**{user_model.USERNAME_FIELD: username})
            if created:
                user = self.configure_user(request, user, trusted_identity)
        else:
            try:
                user = manager.get_by_natural_key(username)
            except user_model.DoesNotExist:
                return None
        return user if getattr(user, "is_active", True) else None

    def get_user(self, user_id: Any) -> Any:
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        try:
            return user_model._default_manager.get(pk=user_id)
        except user_model.DoesNotExist:
            return None

    def clean_username(self, subject: str) -> str:
        return subject

    def configure_user(self, request: HttpRequest | None, user: Any, identity: Identity) -> Any:
        """Called once for a newly created user: copies the email and name."""
        changed = False
        if identity.email is not None and hasattr(user, "email"):
            user.email = identity.email
            changed = True
        if identity.name is not None and hasattr(user, "first_name") and not user.first_name:
            user.first_name = identity.name[:150]
            changed = True
        if changed:
            user.save()
        return user


_View = TypeVar("_View", bound=Callable[..., Any])


def _request_identity(request: HttpRequest) -> Identity | None:
    identity = getattr(request, "trusted_identity", None)
    return identity if isinstance(identity, Identity) else None


def require_identity(
    *,
    claims: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    scopes: Sequence[str] | None = None,
    check: RequirementCheck | None = None,
) -> Callable[[_View], _View]:
    """A decorator for function views (sync or async) guarding a route (contract/requirements.json).

    ``@require_identity(groups={"any": ["admins"]})``. It reads `request.trusted_identity` (set by
    `TrustedProxyAuthMiddleware`); without one: 401 `missing_assertion`; a failed requirement: 403
    `forbidden_user` (the error's `detail` names it); a `TrustedProxyAuthError` raised by
    `check(identity, request)` keeps its code. Class-based views: `TrustedIdentityRequiredMixin`.

    Raises:
        TrustedProxyAuthError: `invalid_config` at once for a malformed requirement.
    """
    requirements = RouteRequirements(claims=claims, groups=groups, scopes=scopes, check=check)

    def decorate(view: _View) -> _View:
        if inspect.iscoroutinefunction(view):

            @wraps(view)
            async def aguarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                try:
                    await requirements.aenforce(_request_identity(request), request)
                except TrustedProxyAuthError as error:
                    return problem_response(error, request.path)
                return await view(request, *args, **kwargs)

            return cast("_View", aguarded)

        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                requirements.enforce(_request_identity(request), request)
            except TrustedProxyAuthError as error:
                return problem_response(error, request.path)
            return view(request, *args, **kwargs)

        return cast("_View", guarded)

    return decorate


class TrustedIdentityRequiredMixin:
    """A class-based-view mixin (first in the bases) that guards `dispatch` like `require_identity`.

    ``class Reports(TrustedIdentityRequiredMixin, View)`` with
    ``identity_requirements = RouteRequirements(scopes=["reports:read"])``.
    The default requires only a verified identity. Async views (`view_is_async`) await an async `check`.
    """

    identity_requirements: ClassVar[RouteRequirements] = RouteRequirements()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        parent = cast("Any", super())
        requirements = self.identity_requirements
        if getattr(self, "view_is_async", False):

            async def aguarded() -> Any:
                try:
                    await requirements.aenforce(_request_identity(request), request)
                except TrustedProxyAuthError as error:
                    return problem_response(error, request.path)
                return await parent.dispatch(request, *args, **kwargs)

            return aguarded()
        try:
            requirements.enforce(_request_identity(request), request)
        except TrustedProxyAuthError as error:
            return problem_response(error, request.path)
        return parent.dispatch(request, *args, **kwargs)
