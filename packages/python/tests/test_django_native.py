"""Django's own auth fed by the proxy: `@login_required`, `get_identity`, excluded paths, the async middleware
under ASGI and session persistence; the issuer is trusted_proxy_auth.testing's loopback one."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only")

import django
import django_app  # noqa: F401  - configures settings
from django.conf import settings

django.setup()
settings.DATABASES["default"]["NAME"] = ":memory:"

from asgiref.sync import async_to_sync  # noqa: E402
from django.contrib.auth import SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import AsyncClient, Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from trusted_proxy_auth import TrustedProxyAuthError  # noqa: E402
from trusted_proxy_auth.django import (  # noqa: E402
    SESSION_IDENTITY_KEY,
    TrustedProxyAuthBackend,
    TrustedProxyAuthMiddleware,
    get_identity,
)
from trusted_proxy_auth.testing import RunningTestIssuer, proxy_headers, start_test_issuer  # noqa: E402


@login_required  # type: ignore[untyped-decorator]  # django-stubs are not installed
def profile(request: HttpRequest) -> JsonResponse:
    identity = get_identity(request)
    return JsonResponse(
        {
            "authenticated": request.user.is_authenticated,
            "username": request.user.get_username(),
            "subject": identity.subject if identity else None,
        }
    )


def no_user(request: HttpRequest) -> JsonResponse:
    """Never reads `request.user`."""
    identity = get_identity(request)
    return JsonResponse({"subject": identity.subject if identity else None})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"identity": get_identity(request) is not None})


async def aprofile(request: HttpRequest) -> JsonResponse:
    user = await request.auser()
    identity = get_identity(request)
    return JsonResponse({"username": user.get_username(), "subject": identity.subject if identity else None})


urlpatterns = [
    path("profile", profile),
    path("no-user", no_user),
    path("healthz", healthz),
    path("aprofile", aprofile),
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "trusted_proxy_auth.django.TrustedProxyAuthMiddleware",
]
BASE_SETTINGS: dict[str, Any] = {
    "INSTALLED_APPS": ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"],
    "MIDDLEWARE": MIDDLEWARE,
    "AUTHENTICATION_BACKENDS": ["trusted_proxy_auth.django.TrustedProxyAuthBackend"],
    # Signed cookies: the session costs no query, so the queries counted are the user's alone.
    "SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies",
    "ROOT_URLCONF": __name__,
    "LOGIN_URL": "/login",
}


@pytest.fixture(scope="module")
def issuer() -> Iterator[RunningTestIssuer]:
    with start_test_issuer(audience="app") as running:
        yield running


@pytest.fixture
def options(issuer: RunningTestIssuer) -> dict[str, Any]:
    call_command("migrate", verbosity=0, run_syncdb=True)
    return {
        "assertion_header": "X-Test-Assertion",
        "jwks_url": issuer.jwks_url,
        "issuer": issuer.issuer,
        "audience": "app",
    }


def configured(options: dict[str, Any], **auth_settings: Any) -> Any:
    return override_settings(**BASE_SETTINGS, TRUSTED_PROXY_AUTH={"options": options, **auth_settings})


def test_login_required_and_is_authenticated_follow_the_proxy(
    options: dict[str, Any], issuer: RunningTestIssuer
) -> None:
    with configured({**options, "mode": "optional"}):
        client = Client()
        response = client.get("/profile", headers=proxy_headers(issuer.make_assertion(sub="ada")))
        assert response.json() == {"authenticated": True, "username": "ada", "subject": "ada"}
        anonymous = client.get("/profile")
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/login")


def test_excluded_paths_are_not_verified(options: dict[str, Any]) -> None:
    with configured(options, exclude_paths=["/healthz"]):
        client = Client()
        assert client.get("/healthz", headers=proxy_headers("not-a-jws")).json() == {"identity": False}
        refused = client.get("/no-user")
        assert (refused.status_code, refused.json()["code"]) == (401, "missing_assertion")


def test_the_middleware_is_async_under_asgi(options: dict[str, Any], issuer: RunningTestIssuer) -> None:
    async def async_view(request: HttpRequest) -> Any:
        return None

    with configured(options):
        assert asyncio.iscoroutinefunction(TrustedProxyAuthMiddleware(async_view))
        assert not asyncio.iscoroutinefunction(TrustedProxyAuthMiddleware(lambda request: None))
        client = AsyncClient()
        token = issuer.make_assertion(sub="grace")

        async def requests() -> tuple[Any, Any, Any]:
            ok = await client.get("/aprofile", headers=proxy_headers(token))
            missing = await client.get("/aprofile")
            bad = await client.get("/aprofile", headers=proxy_headers(issuer.make_assertion(iss="https://evil.test")))
            return ok, missing, bad

        # async_to_sync: the user lookups (sync_to_async) then run on this thread, whose in-memory database
        # holds the tables.
        ok, missing, bad = async_to_sync(requests)()
        assert ok.json() == {"username": "grace", "subject": "grace"}
        assert (missing.status_code, missing.json()["code"]) == (401, "missing_assertion")
        assert missing["Content-Type"] == "application/problem+json"
        assert (bad.status_code, bad.json()["code"]) == (401, "issuer_mismatch")


def user_queries(client: Client, url: str, token: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=proxy_headers(token))
    return len(queries), response


def test_persisted_sessions_skip_the_user_lookup(options: dict[str, Any], issuer: RunningTestIssuer) -> None:
    with configured(options, persist_session=True):
        client = Client()
        token = issuer.make_assertion(sub="lin")
        first_queries, first = user_queries(client, "/no-user", token)
        assert first.json() == {"subject": "lin"}
        assert first_queries >= 1  # the backend found or created the user
        assert client.session[SESSION_IDENTITY_KEY] == [issuer.issuer, "lin"]
        user = get_user_model()._default_manager.get(username="lin")
        assert client.session[SESSION_KEY] == str(user.pk)
        # The same identity again: verified, but the user comes from the session, and only when read.
        again_queries, again = user_queries(client, "/no-user", issuer.make_assertion(sub="lin"))
        assert (again_queries, again.json()) == (0, {"subject": "lin"})
        read_queries, read = user_queries(client, "/profile", token)
        assert read.json()["username"] == "lin"
        assert read_queries == 1
    with configured(options):
        # Without persistence every request asks the backend.
        plain_queries, _ = user_queries(Client(), "/no-user", token)
        assert plain_queries >= 1


def test_persisted_session_is_replaced_when_the_proxy_names_someone_else(
    options: dict[str, Any], issuer: RunningTestIssuer
) -> None:
    with configured(options, persist_session=True):
        client = Client()
        client.get("/no-user", headers=proxy_headers(issuer.make_assertion(sub="mia")))
        response = client.get("/profile", headers=proxy_headers(issuer.make_assertion(sub="noor")))
        assert response.json()["username"] == "noor"
        assert client.session[SESSION_IDENTITY_KEY] == [issuer.issuer, "noor"]
        noor = get_user_model()._default_manager.get(username="noor")
        assert client.session[SESSION_KEY] == str(noor.pk)
        # A bad assertion is refused even with a valid session.
        refused = client.get("/profile", headers=proxy_headers("not-a-jws"))
        assert (refused.status_code, refused.json()["code"]) == (401, "malformed_assertion")


def test_a_persisted_user_deactivated_later_is_forbidden(options: dict[str, Any], issuer: RunningTestIssuer) -> None:
    with configured(options, persist_session=True):
        client = Client()
        token = issuer.make_assertion(sub="omar")
        assert client.get("/profile", headers=proxy_headers(token)).json()["username"] == "omar"
        users = get_user_model()._default_manager
        users.filter(username="omar").update(is_active=False)
        # A view that never reads the user is served by the identity alone...
        assert client.get("/no-user", headers=proxy_headers(token)).json() == {"subject": "omar"}
        # ...one that does is refused as every adapter refuses an unmapped identity.
        denied = client.get("/profile", headers=proxy_headers(token))
        assert (denied.status_code, denied.json()["code"]) == (403, "forbidden_user")
        assert denied["Content-Type"] == "application/problem+json"


def test_backend_get_user_refuses_inactive_users(options: dict[str, Any]) -> None:
    users = get_user_model()._default_manager
    retired, _ = users.get_or_create(username="retired-native", defaults={"is_active": False})
    active, _ = users.get_or_create(username="active-native")
    backend = TrustedProxyAuthBackend()
    assert backend.get_user(retired.pk) is None
    assert backend.get_user(active.pk) == active
    assert backend.get_user(10**9) is None


def test_under_a_real_uvicorn_server(options: dict[str, Any], issuer: RunningTestIssuer) -> None:
    from django.core.asgi import get_asgi_application

    # No identity-mapping backend, so no user query: the in-memory database lives on the test's thread only.
    with configured(options), override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]):
        application = get_asgi_application()
        server = uvicorn.Server(
            uvicorn.Config(application, host="127.0.0.1", port=0, log_level="error", lifespan="off")
        )
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
                ok = client.get("/no-user", headers=proxy_headers(issuer.make_assertion(sub="uvi")))
                assert ok.json() == {"subject": "uvi"}
                missing = client.get("/no-user")
                assert (missing.status_code, missing.json()["code"]) == (401, "missing_assertion")
        finally:
            server.should_exit = True
            thread.join(180)


OTHER_TENANT = "https://tenant-b.example"


class IssuerScopedBackend(TrustedProxyAuthBackend):
    """What the start-up error asks for with several issuers: a username naming the issuer too."""

    def username_for(self, identity: Any) -> str:
        return f"{identity.subject}|{identity.issuer}"


def test_several_issuers_refuse_usernames_from_the_subject_alone(
    options: dict[str, Any], issuer: RunningTestIssuer
) -> None:
    # A subject is unique only within its issuer (OpenID Connect Core 1.0 section 5.7): keyed on `sub` alone,
    # "ada" of tenant B would be logged in as the Django user "ada" of tenant A.
    several = {**options, "issuer": [issuer.issuer, OTHER_TENANT]}
    with configured(several), pytest.raises(TrustedProxyAuthError) as refused:
        Client().get("/profile", headers=proxy_headers(issuer.make_assertion(sub="ada", iss=OTHER_TENANT)))
    assert refused.value.code == "invalid_config"
    problems = refused.value.problems or ()
    assert [problem.variable for problem in problems] == ["TRUSTED_PROXY_ISSUER"]
    assert "username_for" in problems[0].message
    backend = f"{__name__}.IssuerScopedBackend"
    with configured(several), override_settings(AUTHENTICATION_BACKENDS=[backend]):
        client = Client()
        mine = client.get("/profile", headers=proxy_headers(issuer.make_assertion(sub="ada")))
        theirs = Client().get("/profile", headers=proxy_headers(issuer.make_assertion(sub="ada", iss=OTHER_TENANT)))
        assert mine.json()["username"] == f"ada|{issuer.issuer}"
        assert theirs.json()["username"] == f"ada|{OTHER_TENANT}"
    # One issuer: the subject alone, as before.
    with configured(options):
        one = Client().get("/profile", headers=proxy_headers(issuer.make_assertion(sub="ada")))
        assert one.json()["username"] == "ada"
