"""The README's examples are the files in examples/, and they run (Django's: tests/test_django.py)."""

from __future__ import annotations

import importlib
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from helpers import HEADER, JwksResponse, base_env, claims, loopback_jwks_server, make_key

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = PACKAGE_ROOT / "examples"
KEY = make_key("ES256", "example")
TOKEN = KEY.sign(claims(iat=int(time.time()) - 5, exp=int(time.time()) + 600))


def readme_examples() -> dict[str, str]:
    text = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    pattern = re.compile(r"<!-- example: (examples/[\w.]+) -->\n```python\n(.*?)```", re.DOTALL)
    return dict(pattern.findall(text))


def test_readme_shows_every_example_file_verbatim() -> None:
    shown = readme_examples()
    files = {f"examples/{path.name}": path.read_text(encoding="utf-8") for path in EXAMPLES.glob("*.py")}
    assert (
        set(shown)
        == set(files)
        == {
            "examples/fastapi_app.py",
            "examples/flask_app.py",
            "examples/django_app.py",
            "examples/starlette_app.py",
            "examples/flask_login_app.py",
            "examples/test_with_kit.py",
        }
    )
    for name, body in shown.items():
        assert body == files[name], f"README block for {name} differs from the file"


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        for name, value in base_env(f"{base}/jwks.json").items():
            monkeypatch.setenv(name, value)
        monkeypatch.syspath_prepend(str(EXAMPLES))
        yield


def fresh_import(name: str) -> ModuleType:
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def test_fastapi_example_runs(example_env: None) -> None:
    example = fresh_import("fastapi_app")
    client = TestClient(example.app)
    assert client.get("/me", headers={HEADER: TOKEN}).json() == {
        "subject": "user-1",
        "email": "ann@example.com",
        "groups": ["staff"],
    }
    assert client.get("/hello").json() == {"hello": "stranger"}
    assert client.get("/me").status_code == 401
    guarded = TestClient(example.guarded)
    assert guarded.get("/whoami", headers={HEADER: TOKEN}).json()["subject"] == "user-1"
    assert guarded.get("/healthz").json() == {"keys": "ready"}
    with guarded.websocket_connect("/ws", headers={HEADER: TOKEN}) as websocket:
        assert websocket.receive_json() == {"subject": "user-1"}


def test_flask_example_runs(example_env: None) -> None:
    example = fresh_import("flask_app")
    client = example.app.test_client()
    assert client.get("/me", headers={HEADER: TOKEN}).json == {
        "subject": "user-1",
        "email": "ann@example.com",
        "groups": ["staff"],
    }
    assert client.get("/me").status_code == 401
    assert client.get("/healthz").json == {"status": "ok"}


def test_starlette_example_runs(example_env: None) -> None:
    example = fresh_import("starlette_app")
    client = TestClient(example.app)
    me = client.get("/me", headers={HEADER: TOKEN})
    assert me.json() == {"user": "Ann", "scopes": ["authenticated", "group:staff"]}
    assert client.get("/admin", headers={HEADER: TOKEN}).status_code == 403
    assert client.get("/me").json()["code"] == "missing_assertion"
    assert client.get("/healthz").json() == {"status": "ok"}
    api = TestClient(example.api)
    assert api.get("/me", headers={HEADER: TOKEN}).json() == {"subject": "user-1"}
    reports = api.get("/reports", headers={HEADER: TOKEN})
    assert (reports.status_code, reports.json()["code"]) == (403, "forbidden_user")
    scheme = api.get("/openapi.json").json()["components"]["securitySchemes"]["TrustedProxyAssertion"]
    assert (scheme["type"], scheme["name"]) == ("apiKey", HEADER)


def test_flask_login_example_runs(example_env: None) -> None:
    example = fresh_import("flask_login_app")
    client = example.app.test_client()
    assert client.get("/me", headers={HEADER: TOKEN}).json == {"id": "user-1", "email": "ann@example.com"}
    assert client.get("/me").status_code == 401
    assert client.get("/healthz").json == {"status": "ok"}


def test_kit_example_runs_with_nothing_but_the_installed_plugin(pytester: pytest.Pytester) -> None:
    # In a directory of its own, with no conftest: the fixtures come from the pytest11 entry point.
    pytester.copy_example(str(EXAMPLES / "test_with_kit.py"))
    pytester.copy_example(str(EXAMPLES / "starlette_app.py"))
    pytester.syspathinsert()
    sys.modules.pop("starlette_app", None)  # built by another test with another issuer's environment
    try:
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_with_kit.py")
    finally:
        sys.modules.pop("starlette_app", None)
    result.assert_outcomes(passed=1)
