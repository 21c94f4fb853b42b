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

import json
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest, HttpResponse

from . import verifier
from .config import load_config
from .errors import TrustedProxyAuthError
from .identity import Identity
from .problem_details import to_problem_details


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
    an assertion). With django.contrib.auth installed, `request.user` becomes the user the authentication
    backends return for it. A rejection is a problem+json answer with the contract's status.

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
        except TrustedProxyAuthError as error:
            return problem_response(error, request.path, problem_detail=self.auth.config.problem_detail)
        request.trusted_identity = identity
        if apps.is_installed("django.contrib.auth"):
            from django.contrib.auth import authenticate
            from django.contrib.auth.models import AnonymousUser

            user = None if identity is None else authenticate(request, trusted_identity=identity)
            if user is not None:
                request.user = user
                request._cached_user = user  # what AuthenticationMiddleware's lazy user reads
            elif not hasattr(request, "user"):
                request.user = AnonymousUser()
        return self.get_response(request)


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
