"""Django route guards: the `require_identity` decorator (sync and async views) and `TrustedIdentityRequiredMixin`."""

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

from django.core.management import call_command  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import AsyncClient, Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django.views import View  # noqa: E402

from trusted_proxy_auth import Identity, RouteRequirements, TrustedProxyAuthError  # noqa: E402
from trusted_proxy_auth.django import TrustedIdentityRequiredMixin, require_identity  # noqa: E402

KEY = make_key("ES256", "django-guards")
CHECKED: list[tuple[str, bool]] = []


def live_token(**overrides: Any) -> str:
    return KEY.sign(claims(iat=int(time.time()) - 5, exp=int(time.time()) + 600, **overrides))


def record(identity: Identity, request: Any) -> bool:
    CHECKED.append((identity.subject, isinstance(request, HttpRequest)))
    return identity.subject != "bob"


async def arecord(identity: Identity, request: Any) -> bool:
    return record(identity, request)


def step_up(identity: Identity, request: Any) -> bool:
    raise TrustedProxyAuthError("missing_assertion", detail="step-up needed")


def subject_of(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"subject": request.trusted_identity.subject})


@require_identity(claims=["tenant=acme"], groups={"any": ["staff", "ops"]})
def tenant_view(request: HttpRequest) -> JsonResponse:
    return subject_of(request)


@require_identity(scopes=["reports:read"], check=arecord)
async def async_reports_view(request: HttpRequest) -> JsonResponse:
    return subject_of(request)


@require_identity(check=step_up)
def step_up_view(request: HttpRequest) -> JsonResponse:
    return subject_of(request)


class AdminsView(TrustedIdentityRequiredMixin, View):  # type: ignore[misc]  # django-stubs are not installed
    identity_requirements = RouteRequirements(groups={"all": ["staff", "admins"]}, check=record)

    def get(self, request: HttpRequest) -> JsonResponse:
        return subject_of(request)


class AsyncAdminsView(TrustedIdentityRequiredMixin, View):  # type: ignore[misc]  # django-stubs are not installed
    identity_requirements = RouteRequirements(groups={"any": ["admins"]}, check=arecord)

    async def get(self, request: HttpRequest) -> JsonResponse:
        return subject_of(request)


class AnyIdentityView(TrustedIdentityRequiredMixin, View):  # type: ignore[misc]  # django-stubs are not installed
    def get(self, request: HttpRequest) -> JsonResponse:
        return subject_of(request)


urlpatterns = [
    path("tenant", tenant_view),
    path("reports", async_reports_view),
    path("step-up", step_up_view),
    path("admins", AdminsView.as_view()),
    path("async-admins", AsyncAdminsView.as_view()),
    path("anyone", AnyIdentityView.as_view()),
]


@pytest.fixture(scope="module")
def guarded_settings() -> Iterator[dict[str, Any]]:
    call_command("migrate", verbosity=0, run_syncdb=True)
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        env = base_env(f"{base}/jwks.json")
        options = {
            "assertion_header": env["TRUSTED_PROXY_ASSERTION_HEADER"],
            "jwks_url": env["TRUSTED_PROXY_JWKS_URL"],
            "issuer": env["TRUSTED_PROXY_ISSUER"],
            "audience": env["TRUSTED_PROXY_AUDIENCE"],
        }
        yield {"ROOT_URLCONF": __name__, "TRUSTED_PROXY_AUTH": {"options": options, "create_users": True}}


def code(response: Any, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    return str(response.json()["code"])


def test_decorator_on_sync_and_async_views(guarded_settings: dict[str, Any]) -> None:
    CHECKED.clear()
    with override_settings(**guarded_settings):
        client = Client()
        assert client.get("/tenant", headers={HEADER: live_token(tenant="acme")}).json() == {"subject": "user-1"}
        assert code(client.get("/tenant", headers={HEADER: live_token(tenant="other")}), 403) == "forbidden_user"
        assert (
            code(client.get("/tenant", headers={HEADER: live_token(tenant="acme", groups=["x"])}), 403)
            == "forbidden_user"
        )
        assert client.get("/reports", headers={HEADER: live_token(scope="reports:read")}).status_code == 200
        assert (
            code(client.get("/reports", headers={HEADER: live_token(scope="reports:read", sub="bob")}), 403)
            == "forbidden_user"
        )
        assert code(client.get("/reports", headers={HEADER: live_token()}), 403) == "forbidden_user"
        assert code(client.get("/step-up", headers={HEADER: live_token()}), 401) == "missing_assertion"
    assert CHECKED == [("user-1", True), ("bob", True)]


def test_mixin_on_sync_and_async_class_based_views(guarded_settings: dict[str, Any]) -> None:
    CHECKED.clear()
    with override_settings(**guarded_settings):
        client = Client()
        assert client.get("/admins", headers={HEADER: live_token(groups=["admins", "staff"])}).status_code == 200
        assert code(client.get("/admins", headers={HEADER: live_token()}), 403) == "forbidden_user"
        assert (
            code(client.get("/admins", headers={HEADER: live_token(sub="bob", groups=["admins", "staff"])}), 403)
            == "forbidden_user"
        )
        assert client.get("/async-admins", headers={HEADER: live_token(groups=["admins"])}).status_code == 200
        assert code(client.get("/async-admins", headers={HEADER: live_token()}), 403) == "forbidden_user"
        assert client.get("/anyone", headers={HEADER: live_token()}).json() == {"subject": "user-1"}
    assert CHECKED == [("user-1", True), ("bob", True), ("user-1", True)]


def test_async_client_reaches_the_async_guards(guarded_settings: dict[str, Any]) -> None:
    import asyncio

    async def run() -> tuple[int, int]:
        client = AsyncClient()
        allowed = await client.get("/async-admins", headers={HEADER: live_token(groups=["admins"])})
        denied = await client.get("/reports", headers={HEADER: live_token()})
        return allowed.status_code, denied.status_code

    # No identity-mapping backend: the in-memory database is not visible from the async client's thread.
    with override_settings(**guarded_settings, AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]):
        assert asyncio.run(run()) == (200, 403)


def test_without_an_identity_every_guard_is_401(guarded_settings: dict[str, Any]) -> None:
    optional = {**guarded_settings["TRUSTED_PROXY_AUTH"]["options"], "mode": "optional"}
    with override_settings(**{**guarded_settings, "TRUSTED_PROXY_AUTH": {"options": optional}}):
        client = Client()
        for route in ("/tenant", "/reports", "/admins", "/async-admins", "/anyone"):
            assert code(client.get(route), 401) == "missing_assertion"


def test_guards_answer_with_the_middleware_problem_detail_setting(guarded_settings: dict[str, Any]) -> None:
    """The guards answer with TRUSTED_PROXY_PROBLEM_DETAIL of the middleware in front (contract/requirements.json
    `denial`): its detail names the failed requirement only in `diagnostic` mode."""
    diagnostic = {**guarded_settings["TRUSTED_PROXY_AUTH"]["options"], "problem_detail": "diagnostic"}
    with override_settings(**{**guarded_settings, "TRUSTED_PROXY_AUTH": {"options": diagnostic, "create_users": True}}):
        client = Client()
        for route, token in (("/tenant", live_token(tenant="other")), ("/admins", live_token())):
            denied = client.get(route, headers={HEADER: token})
            assert code(denied, 403) == "forbidden_user"
            assert "requires" in denied.json()["detail"], route
    with override_settings(**guarded_settings):
        generic = Client().get("/tenant", headers={HEADER: live_token(tenant="other")})
        assert code(generic, 403) == "forbidden_user"
        assert "requires" not in generic.json()["detail"]
