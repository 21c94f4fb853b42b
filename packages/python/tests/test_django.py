"""Django middleware and authentication backend through Django's test client (the README's example app)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import HEADER, JwksResponse, base_env, claims, loopback_jwks_server, make_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only")

import django
import django_app  # noqa: F401  - configures settings
from django.conf import settings

django.setup()
settings.DATABASES["default"]["NAME"] = ":memory:"

from asgiref.sync import async_to_sync  # noqa: E402
from django.contrib.auth import SESSION_KEY, get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from trusted_proxy_auth import Identity, TrustedProxyAuthError  # noqa: E402
from trusted_proxy_auth.django import TrustedProxyAuthBackend  # noqa: E402

KEY = make_key("ES256", "django")


def live_token(**overrides: Any) -> str:
    return KEY.sign(claims(iat=int(time.time()) - 5, exp=int(time.time()) + 600, **overrides))


@pytest.fixture(scope="module")
def options() -> Iterator[dict[str, Any]]:
    call_command("migrate", verbosity=0, run_syncdb=True)
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        env = base_env(f"{base}/jwks.json")
        yield {
            "assertion_header": env["TRUSTED_PROXY_ASSERTION_HEADER"],
            "jwks_url": env["TRUSTED_PROXY_JWKS_URL"],
            "issuer": env["TRUSTED_PROXY_ISSUER"],
            "audience": env["TRUSTED_PROXY_AUDIENCE"],
        }


def test_request_user_is_created_on_first_sight(options: dict[str, Any]) -> None:
    with override_settings(TRUSTED_PROXY_AUTH={"options": options, "create_users": True}):
        client = Client()
        response = client.get("/me", headers={HEADER: live_token()})
        assert response.status_code == 200
        assert response.json() == {"username": "user-1", "groups": ["staff"]}
        user = get_user_model().objects.get(username="user-1")
        assert user.email == "ann@example.com"
        assert client.get("/me", headers={HEADER: live_token()}).status_code == 200
        assert get_user_model().objects.filter(username="user-1").count() == 1


def test_unknown_users_are_not_created_when_disabled_and_are_denied(options: dict[str, Any]) -> None:
    # The backend is the Django resolver: no user for a verified identity is 403 forbidden_user, as in every adapter.
    with override_settings(TRUSTED_PROXY_AUTH={"options": options, "create_users": False}):
        response = Client().get("/me", headers={HEADER: live_token(sub="stranger")})
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden_user"
        assert not get_user_model().objects.filter(username="stranger").exists()


def test_rejections_are_problem_json(options: dict[str, Any]) -> None:
    with override_settings(TRUSTED_PROXY_AUTH={"options": options}):
        client = Client()
        missing = client.get("/me")
        assert missing.status_code == 401
        assert missing["Content-Type"] == "application/problem+json"
        assert missing["WWW-Authenticate"].startswith("Bearer")
        assert missing.json()["code"] == "missing_assertion"
        token = live_token(iss="https://evil.example")
        bad = client.get("/me", headers={HEADER: token})
        assert bad.status_code == 401
        assert bad.json()["code"] == "issuer_mismatch"
        assert token not in bad.content.decode()


def test_duplicate_headers_joined_by_the_server_are_malformed(options: dict[str, Any]) -> None:
    with override_settings(TRUSTED_PROXY_AUTH={"options": options}):
        token = live_token()
        response = Client().get("/me", headers={HEADER: f"{token},{token}"})
        assert response.status_code == 401
        assert response.json()["code"] == "malformed_assertion"


# --- Real sessions: django.contrib.sessions + auth, a password-logged-in administrator, then the proxy's word.

SESSION_SETTINGS: dict[str, Any] = {
    "INSTALLED_APPS": [
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django.contrib.sessions",
    ],
    "MIDDLEWARE": [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "trusted_proxy_auth.django.TrustedProxyAuthMiddleware",
    ],
    "AUTHENTICATION_BACKENDS": [
        "django.contrib.auth.backends.ModelBackend",
        "trusted_proxy_auth.django.TrustedProxyAuthBackend",
    ],
    "SESSION_ENGINE": "django.contrib.sessions.backends.db",
    "ROOT_URLCONF": __name__,
}


def whoami(request: HttpRequest) -> JsonResponse:
    """What the view sees: the sync user and the async one (`await request.auser()`)."""
    async_user = async_to_sync(request.auser)()
    return JsonResponse({"user": request.user.get_username(), "auser": async_user.get_username()})


urlpatterns = [path("whoami", whoami)]


@pytest.fixture
def admin_client(options: dict[str, Any]) -> Iterator[Client]:
    """A test client holding the session of an administrator who logged in with a password (ModelBackend)."""
    with override_settings(**SESSION_SETTINGS, TRUSTED_PROXY_AUTH={"options": options, "create_users": False}):
        call_command("migrate", verbosity=0, run_syncdb=True)
        users = get_user_model()._default_manager
        admin = users.filter(username="admin").first() or users.create_superuser("admin", "admin@example.com", "pw")
        users.get_or_create(username="user-1")
        inactive, _ = users.get_or_create(username="retired")
        inactive.is_active = False
        inactive.save()
        client = Client()
        client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
        assert client.session.get(SESSION_KEY) == str(admin.pk)
        yield client


def test_session_admin_is_replaced_by_the_verified_user_and_logged_out(admin_client: Client) -> None:
    response = admin_client.get("/whoami", headers={HEADER: live_token(sub="user-1")})
    assert response.status_code == 200
    assert response.json() == {"user": "user-1", "auser": "user-1"}
    assert admin_client.session.get(SESSION_KEY) is None


@pytest.mark.parametrize("subject", ["retired", "nobody-known"], ids=["inactive", "non-existent"])
def test_session_admin_is_logged_out_and_an_unmapped_identity_is_forbidden(admin_client: Client, subject: str) -> None:
    response = admin_client.get("/whoami", headers={HEADER: live_token(sub=subject)})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_user"
    assert b"admin" not in response.content
    assert admin_client.session.get(SESSION_KEY) is None
    # The flushed session no longer names the administrator on a later request either.
    assert admin_client.get("/whoami", headers={HEADER: live_token(sub="user-1")}).json()["user"] == "user-1"


def test_session_user_the_proxy_vouches_for_keeps_the_session(admin_client: Client) -> None:
    session_key = admin_client.session.session_key
    response = admin_client.get("/whoami", headers={HEADER: live_token(sub="admin")})
    assert response.json() == {"user": "admin", "auser": "admin"}
    assert admin_client.session.session_key == session_key


def test_without_an_identity_mapping_backend_the_session_user_is_dropped(admin_client: Client) -> None:
    with override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]):
        admin_client.force_login(get_user_model()._default_manager.get(username="admin"))
        response = admin_client.get("/whoami", headers={HEADER: live_token(sub="user-1")})
        assert response.status_code == 200
        assert response.json() == {"user": "", "auser": ""}
        assert admin_client.session.get(SESSION_KEY) is None


def test_optional_mode_without_an_assertion_keeps_the_session_user(
    admin_client: Client, options: dict[str, Any]
) -> None:
    with override_settings(TRUSTED_PROXY_AUTH={"options": {**options, "mode": "optional"}, "create_users": False}):
        assert Client().get("/whoami").json()["user"] == ""
        assert admin_client.get("/whoami").json() == {"user": "admin", "auser": "admin"}


class UnavailableDirectoryBackend(TrustedProxyAuthBackend):
    """A resolver whose user directory is down: it answers with the library's own error."""

    def authenticate(self, request: HttpRequest | None, trusted_identity: Identity | None = None, **kwargs: Any) -> Any:
        raise TrustedProxyAuthError("jwks_unavailable", retry_after=7)


def test_a_library_error_raised_by_the_backend_is_its_problem_answer(options: dict[str, Any]) -> None:
    with override_settings(
        TRUSTED_PROXY_AUTH={"options": options},
        AUTHENTICATION_BACKENDS=[f"{__name__}.UnavailableDirectoryBackend"],
    ):
        response = Client().get("/me", headers={HEADER: live_token()})
        assert response.status_code == 503
        assert response["Content-Type"] == "application/problem+json"
        assert response["Retry-After"] == "7"
        assert response.json()["code"] == "jwks_unavailable"


def test_the_rule_holds_with_the_middleware_before_authentication_middleware(admin_client: Client) -> None:
    swapped = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "trusted_proxy_auth.django.TrustedProxyAuthMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    with override_settings(MIDDLEWARE=swapped):
        client = Client()
        client.force_login(get_user_model()._default_manager.get(username="admin"))
        response = client.get("/whoami", headers={HEADER: live_token(sub="user-1")})
        assert response.json() == {"user": "user-1", "auser": "user-1"}
        assert client.session.get(SESSION_KEY) is None
        assert client.get("/whoami", headers={HEADER: live_token(sub="retired")}).status_code == 403


def test_an_invalid_configuration_fails_when_django_loads_the_middleware(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.handlers.wsgi import WSGIHandler

    for name in [name for name in os.environ if name.startswith("TRUSTED_PROXY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TRUSTED_PROXY_ASSERTION_HEADER", HEADER)
    monkeypatch.setenv("TRUSTED_PROXY_ALGORITHMS", "HS256")
    # WSGIHandler() is what get_wsgi_application() builds when a server imports the project.
    middleware = ["trusted_proxy_auth.django.TrustedProxyAuthMiddleware"]
    with override_settings(MIDDLEWARE=middleware), pytest.raises(TrustedProxyAuthError) as raised:
        WSGIHandler()
    for name in ("TRUSTED_PROXY_JWKS_URL", "TRUSTED_PROXY_ISSUER", "TRUSTED_PROXY_ALGORITHMS"):
        assert name in str(raised.value)
