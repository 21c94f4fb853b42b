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

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.apps import apps
from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest, HttpResponse

from . import verifier
from ._contract import setting_name
from .config import load_config
from .errors import ConfigProblem, TrustedProxyAuthError
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
    """Verifies every request; `request.trusted_identity` (or `get_identity(request)`) is the identity (None in
    mode `optional` without an assertion). A rejection is a problem+json answer with the contract's status.

    With django.contrib.auth installed and an authentication backend that maps identities (one whose
    `authenticate` takes `trusted_identity`, such as `TrustedProxyAuthBackend`), `request.user` (and
    `request.auser()`) become the user the backends return for the identity, so `is_authenticated` and
    `@login_required` work. The proxy's word wins over the session, as with Django's `RemoteUserMiddleware`: a
    session user who differs from that user is logged out (the session is flushed), and when the backends
    return no user (unknown with creation off, inactive) the request is denied with 403 `forbidden_user` --
    the rule every adapter applies to a resolver that yields no user. Without such a backend, `request.user`
    is anonymous. In mode `optional`, a request without an assertion keeps its session user: the proxy vouched
    for nobody.

    Settings (`TRUSTED_PROXY_AUTH`): `exclude_paths` -- exact paths (`request.path`, e.g. `/healthz`) that are
    not verified, like the ASGI middleware's and the Flask extension's `exclude_paths`; there
    `request.trusted_identity` is None and `request.user` is whatever the session says. `persist_session` --
    log the mapped user into the session (`django.contrib.auth.login`) and, while later assertions name the
    same issuer and subject, take the user from the session lazily instead of asking the backends: a view
    that never reads `request.user` costs no user query. The assertion is still verified on every request,
    and one naming someone else logs the session out first.

    Sync and async (`sync_and_async_middleware`): under ASGI the assertion is verified without blocking the
    event loop and the user lookups run through `sync_to_async`. A `TrustedProxyAuthError` a view raises is
    answered as problem+json too (`process_exception`).

    Django reads headers from the WSGI/ASGI environment, where `X-Foo-Bar` and `X-Foo_Bar` look the same, so
    the proxy or server must drop header names with underscores (NGINX and Apache do by default).
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self, get_response: Callable[[HttpRequest], Any], auth: verifier.TrustedProxyAuth | None = None
    ) -> None:
        self.get_response = get_response
        options = _settings()
        self.auth = (
            auth if auth is not None else verifier.TrustedProxyAuth.shared(load_config(**options.get("options", {})))
        )
        self.exclude_paths = frozenset(options.get("exclude_paths", ()))
        self.persist_session = bool(options.get("persist_session", False))
        if apps.is_installed("django.contrib.auth"):
            _refuse_subject_only_usernames(self.auth.config)
        self._is_async = iscoroutinefunction(get_response)
        if self._is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self._is_async:
            return self.__acall__(request)
        request.trusted_identity = None
        request.trusted_proxy_problem_detail = self.auth.config.problem_detail
        if request.path not in self.exclude_paths:
            try:
                identity = self.auth.verify_request(list(request.headers.items()), request.META.get("REMOTE_ADDR"))
                request.trusted_identity = identity
                if identity is not None and apps.is_installed("django.contrib.auth"):
                    _bind_user(request, identity, persist=self.persist_session)
            except TrustedProxyAuthError as error:
                return self._problem(request, error)
        _default_to_anonymous(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> Any:
        from asgiref.sync import sync_to_async

        request.trusted_identity = None
        request.trusted_proxy_problem_detail = self.auth.config.problem_detail
        if request.path not in self.exclude_paths:
            try:
                identity = await self.auth.averify_request(
                    list(request.headers.items()), request.META.get("REMOTE_ADDR")
                )
                request.trusted_identity = identity
                if identity is not None and apps.is_installed("django.contrib.auth"):
                    await sync_to_async(_bind_user)(request, identity, persist=self.persist_session)
            except TrustedProxyAuthError as error:
                return self._problem(request, error)
        _default_to_anonymous(request)
        return await self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A `TrustedProxyAuthError` raised by a view (or by the lazy session user) becomes its problem answer."""
        if isinstance(exception, TrustedProxyAuthError):
            return self._problem(request, exception)
        return None

    def _problem(self, request: HttpRequest, error: TrustedProxyAuthError) -> HttpResponse:
        return problem_response(error, request.path, problem_detail=self.auth.config.problem_detail)


def _default_to_anonymous(request: HttpRequest) -> None:
    if not hasattr(request, "user") and apps.is_installed("django.contrib.auth"):
        from django.contrib.auth.models import AnonymousUser

        _set_user(request, AnonymousUser())


def _guard_problem(error: TrustedProxyAuthError, request: HttpRequest) -> HttpResponse:
    # A guard runs after the middleware and has no verifier of its own: it answers with the middleware's
    # problem-detail setting (option `problemDetail`), or the fixed message when no middleware saw the request.
    setting = getattr(request, "trusted_proxy_problem_detail", "generic")
    return problem_response(error, request.path, problem_detail=setting if isinstance(setting, str) else "generic")


def get_identity(request: HttpRequest) -> Identity | None:
    """The verified identity of this request (set by `TrustedProxyAuthMiddleware`), or None: mode `optional`
    without an assertion, an excluded path, or a request the middleware did not see."""
    identity = getattr(request, "trusted_identity", None)
    return identity if isinstance(identity, Identity) else None


def _refuse_subject_only_usernames(config: Any) -> None:
    """Several trusted issuers and a `TrustedProxyAuthBackend` whose `username_for` is the subject alone: refused
    at start-up, because a subject is unique only within its issuer (OpenID Connect Core 1.0 section 5.7), so
    the same `sub` from another tenant would be logged in as this tenant's user.

    Raises TrustedProxyAuthError `invalid_config` (on option `issuers` or `issuer`)."""
    from django.contrib.auth import get_backends

    trusted = {*config.issuer, *(entry.issuer for entry in config.issuers)}
    if len(trusted) < 2:
        return
    subject_only = [
        backend
        for backend in get_backends()
        if isinstance(backend, TrustedProxyAuthBackend)
        and type(backend).username_for is TrustedProxyAuthBackend.username_for
    ]
    if subject_only:
        variable = setting_name("issuers") if config.issuers else setting_name("issuer")
        message = (
            "names several issuers, but TrustedProxyAuthBackend keys Django users on the subject alone; a subject "
            "is unique only within its issuer: subclass the backend and override username_for(identity) to name "
            "the issuer too"
        )
        raise TrustedProxyAuthError("invalid_config", problems=[ConfigProblem(variable, message)])


def _maps_identities(backend: Any) -> bool:
    return "trusted_identity" in inspect.signature(backend.authenticate).parameters


#: Session key holding `[issuer, subject]` of the identity whose user `persist_session` logged in.
SESSION_IDENTITY_KEY = "_trusted_proxy_identity"


def _bind_user(request: HttpRequest, identity: Identity, *, persist: bool = False) -> None:
    """Makes the user the backends map `identity` to the request's user, logging out a differing session user.
    With `persist`, a session already holding this identity's user is trusted (loaded lazily), and a newly
    mapped user is logged into the session.

    Raises TrustedProxyAuthError `forbidden_user` when identity-mapping backends return no active user.
    """
    from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, authenticate, get_backends, login, logout
    from django.contrib.auth.models import AnonymousUser

    maps_identities = any(_maps_identities(backend) for backend in get_backends())
    # Read from the session itself, so the order of this and AuthenticationMiddleware does not matter.
    session = getattr(request, "session", None)
    session_user_key = None if session is None else session.get(SESSION_KEY)
    marker = [identity.issuer, identity.subject]
    if (
        persist
        and maps_identities
        and session is not None
        and session_user_key is not None
        and session.get(SESSION_IDENTITY_KEY) == marker
        and _maps_identities_path(session.get(BACKEND_SESSION_KEY))
    ):
        _set_lazy_session_user(request, identity)
        return
    user = authenticate(request, trusted_identity=identity) if maps_identities else None
    if user is not None and not getattr(user, "is_active", True):
        user = None
    if session_user_key is not None and (user is None or str(user.pk) != str(session_user_key)):
        logout(request)
    if user is not None and persist and session is not None:
        login(request, user)
        request.session[SESSION_IDENTITY_KEY] = marker
    _set_user(request, AnonymousUser() if user is None else user)
    if user is None and maps_identities:
        raise TrustedProxyAuthError("forbidden_user")


def _maps_identities_path(backend_path: object) -> bool:
    from django.contrib.auth import load_backend

    if not isinstance(backend_path, str) or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return False
    return _maps_identities(load_backend(backend_path))


def _set_lazy_session_user(request: HttpRequest, identity: Identity) -> None:
    """`request.user` loads the session's user on first use; when that user is gone, inactive or its session
    hash no longer matches, the backends map the identity afresh (and log it in again), and when they find no
    user either, reading `request.user` raises `forbidden_user`, which `process_exception` answers with 403."""
    from asgiref.sync import sync_to_async
    from django.contrib.auth import authenticate, get_user, login
    from django.utils.functional import SimpleLazyObject

    loaded: list[Any] = []

    def load() -> Any:
        if not loaded:
            user = get_user(request)
            if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
                user = authenticate(request, trusted_identity=identity)
                if user is None or not getattr(user, "is_active", True):
                    raise TrustedProxyAuthError("forbidden_user")
                login(request, user)
                request.session[SESSION_IDENTITY_KEY] = [identity.issuer, identity.subject]
            loaded.append(user)
        return loaded[0]

    async def auser() -> Any:
        return await sync_to_async(load)()

    request.user = SimpleLazyObject(load)
    request._cached_user = request.user
    request.auser = auser


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
    subclass sets `create_unknown_user = False`). Override `username_for` (the identity, e.g. to name the issuer,
    which several trusted issuers require), `clean_username` (the subject) or `configure_user` to change the
    mapping; never key users on the email, which proxies pass through unverified from some IdPs.
    """

    create_unknown_user = True

    def authenticate(self, request: HttpRequest | None, trusted_identity: Identity | None = None, **kwargs: Any) -> Any:
        if trusted_identity is None:
            return None
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        username = self.username_for(trusted_identity)
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
        """The session's user by primary key; None when gone or inactive (as `ModelBackend` does)."""
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if getattr(user, "is_active", True) else None

    def username_for(self, identity: Identity) -> str:
        """The username for a verified identity: `clean_username(identity.subject)`. With several trusted issuers
        the middleware refuses to start unless a subclass overrides this to name the issuer too (a subject is
        unique only within its issuer, OpenID Connect Core 1.0 section 5.7)."""
        return self.clean_username(identity.subject)

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
                    await requirements.aenforce(get_identity(request), request)
                except TrustedProxyAuthError as error:
                    return _guard_problem(error, request)
                return await view(request, *args, **kwargs)

            return cast("_View", aguarded)

        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                requirements.enforce(get_identity(request), request)
            except TrustedProxyAuthError as error:
                return _guard_problem(error, request)
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
                    await requirements.aenforce(get_identity(request), request)
                except TrustedProxyAuthError as error:
                    return _guard_problem(error, request)
                return await parent.dispatch(request, *args, **kwargs)

            return aguarded()
        try:
            requirements.enforce(get_identity(request), request)
        except TrustedProxyAuthError as error:
            return _guard_problem(error, request)
        return parent.dispatch(request, *args, **kwargs)
