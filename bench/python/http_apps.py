"""The hello apps bench/python/http_throughput.py serves: each framework bare and with our middleware, with the
same route answering the same JSON, so the difference is the verification alone. Factories, so that a server
process builds only the app it serves; the verifier reads TRUSTED_PROXY_* from the environment."""

from __future__ import annotations

from typing import Any

HELLO = {"hello": "world"}


def fastapi_app(*, with_auth: bool) -> Any:
    from fastapi import FastAPI

    from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware

    app = FastAPI()

    @app.get("/")
    async def hello() -> dict[str, str]:
        return HELLO

    if with_auth:
        app.add_middleware(TrustedProxyAuthMiddleware)
    return app


def starlette_app(*, with_auth: bool) -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware

    async def hello(_request: Request) -> JSONResponse:
        return JSONResponse(HELLO)

    middleware = [Middleware(TrustedProxyAuthMiddleware)] if with_auth else []
    return Starlette(routes=[Route("/", hello)], middleware=middleware)


def flask_app(*, with_auth: bool) -> Any:
    from flask import Flask

    from trusted_proxy_auth.flask import TrustedProxyAuth

    app = Flask(__name__)

    @app.get("/")
    def hello() -> dict[str, str]:
        return HELLO

    if with_auth:
        TrustedProxyAuth(app)
    return app


def fastapi_bare() -> Any:
    return fastapi_app(with_auth=False)


def fastapi_auth() -> Any:
    return fastapi_app(with_auth=True)


def starlette_bare() -> Any:
    return starlette_app(with_auth=False)


def starlette_auth() -> Any:
    return starlette_app(with_auth=True)


def flask_bare() -> Any:
    return flask_app(with_auth=False)


def flask_auth() -> Any:
    return flask_app(with_auth=True)
