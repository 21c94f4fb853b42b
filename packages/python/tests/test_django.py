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

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

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


def test_unknown_users_are_not_created_when_disabled(options: dict[str, Any]) -> None:
    with override_settings(TRUSTED_PROXY_AUTH={"options": options, "create_users": False}):
        response = Client().get("/me", headers={HEADER: live_token(sub="stranger")})
        assert response.status_code == 200
        assert response.json()["username"] == ""  # AnonymousUser
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


def test_an_invalid_configuration_fails_when_django_loads_the_middleware(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.handlers.wsgi import WSGIHandler

    from trusted_proxy_auth import TrustedProxyAuthError

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
