"""The hello apps bench/python/http_throughput.py serves: each framework bare and with our middleware, with the
same route answering the same JSON, so the difference is the verification alone. Factories, so that a server
process builds only the app it serves; the verifier reads TRUSTED_PROXY_* from the environment."""

from __future__ import annotations

from typing import Any

HELLO = {"hello": "world"}


def fastapi_app(*, with_auth: bool, path: str = "/") -> Any:
    from fastapi import FastAPI

    from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware

    app = FastAPI()

    @app.get(path)
    async def hello() -> dict[str, str]:
        return HELLO

    if with_auth:
        app.add_middleware(TrustedProxyAuthMiddleware)
    return app


def starlette_app(*, with_auth: bool, path: str = "/") -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware

    async def hello(_request: Request) -> JSONResponse:
        return JSONResponse(HELLO)

    middleware = [Middleware(TrustedProxyAuthMiddleware)] if with_auth else []
    return Starlette(routes=[Route(path, hello)], middleware=middleware)


def flask_app(*, with_auth: bool, path: str = "/") -> Any:
    from flask import Flask

    from trusted_proxy_auth.flask import TrustedProxyAuth

    app = Flask(__name__)

    @app.get(path)
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


# The same-process comparison: one server process holds the bare app (its route at /bare) and ours (at /ours), and a
# dispatcher that reads one character of the path sends each request to its app, so both share the process's luck
# (fresh processes of one app differ for their whole life by more than a middleware costs).
def _asgi_pair(bare: Any, ours: Any) -> Any:
    async def pair(scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Lifespan goes to ours (its verifier may start there); the bare hello app has nothing to start.
        if scope["type"] == "lifespan" or scope["path"][1:2] == "o":
            await ours(scope, receive, send)
        else:
            await bare(scope, receive, send)

    return pair


def fastapi_pair() -> Any:
    return _asgi_pair(fastapi_app(with_auth=False, path="/bare"), fastapi_app(with_auth=True, path="/ours"))


def starlette_pair() -> Any:
    return _asgi_pair(starlette_app(with_auth=False, path="/bare"), starlette_app(with_auth=True, path="/ours"))


def flask_pair() -> Any:
    bare, ours = flask_app(with_auth=False, path="/bare"), flask_app(with_auth=True, path="/ours")

    def pair(environ: dict[str, Any], start_response: Any) -> Any:
        return (ours if environ["PATH_INFO"][1:2] == "o" else bare)(environ, start_response)

    return pair
