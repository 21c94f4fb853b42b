"""An invalid configuration stops the application at start-up in every framework, naming each bad setting.

FastAPI/Starlette build middleware lazily inside the lifespan call, where uvicorn's default
`--lifespan auto` used to swallow the error and serve 500 on every route; this runs real uvicorn.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from trusted_proxy_auth import TrustedProxyAuthError
from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware
from trusted_proxy_auth.flask import TrustedProxyAuth as FlaskTrustedProxyAuth

#: Two problems at once: the message must name both variables.
INVALID = {
    "TRUSTED_PROXY_ASSERTION_HEADER": "X-Identity-Assertion",
    "TRUSTED_PROXY_JWKS_URL": "https://keys.example.com/jwks.json",
    "TRUSTED_PROXY_AUDIENCE": "app.example.com",
    "TRUSTED_PROXY_ALGORITHMS": "HS256",
}
NAMED = ("TRUSTED_PROXY_ISSUER", "TRUSTED_PROXY_ALGORITHMS")
UVICORN = (sys.executable, "-m", "uvicorn")

FASTAPI_APP = """
from fastapi import FastAPI
from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware

app = FastAPI()
app.add_middleware(TrustedProxyAuthMiddleware)


@app.get("/")
async def index() -> dict[str, str]:
    return {"ok": "served"}
"""


@pytest.fixture
def invalid_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in [name for name in os.environ if name.startswith("TRUSTED_PROXY_")]:
        monkeypatch.delenv(name)
    for name, value in INVALID.items():
        monkeypatch.setenv(name, value)
    return INVALID


def test_the_error_text_names_every_problem_variable(invalid_env: dict[str, str]) -> None:
    with pytest.raises(TrustedProxyAuthError) as raised:
        FlaskTrustedProxyAuth(Flask(__name__))
    for name in NAMED:
        assert name in str(raised.value)
    assert str(raised.value).startswith(raised.value.message)


def test_fastapi_under_real_uvicorn_with_lifespan_auto_exits_non_zero(
    tmp_path: Path, invalid_env: dict[str, str]
) -> None:
    (tmp_path / "invalid_app.py").write_text(FASTAPI_APP)
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRUSTED_PROXY_")} | invalid_env
    result = subprocess.run(
        [
            *UVICORN,
            "invalid_app:app",
            "--app-dir",
            str(tmp_path),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--lifespan",
            "auto",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0, result.stderr
    for name in NAMED:
        assert name in result.stderr


def test_without_lifespan_every_request_raises_the_configuration_error(invalid_env: dict[str, str]) -> None:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the application must not be reached")

    middleware = TrustedProxyAuthMiddleware(inner)

    async def request() -> None:
        await middleware({"type": "http", "path": "/", "headers": []}, _never, _never_send)

    with pytest.raises(TrustedProxyAuthError) as raised:
        asyncio.run(request())
    assert raised.value.code == "invalid_config"


def test_lifespan_startup_is_answered_as_failed_with_the_problems(invalid_env: dict[str, str]) -> None:
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the application must not be reached")

    asyncio.run(TrustedProxyAuthMiddleware(inner)({"type": "lifespan"}, receive, send))
    assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
    for name in NAMED:
        assert name in sent[0]["message"]


async def _never() -> Any:
    raise AssertionError("not called")


async def _never_send(message: MutableMapping[str, Any]) -> None:
    raise AssertionError("not called")
