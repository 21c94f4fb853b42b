"""Starlette's own authentication fed by the proxy, and FastAPI's Security scheme.

Run: TRUSTED_PROXY_*=... uvicorn starlette_app:app --no-proxy-headers (or starlette_app:api)
"""

from fastapi import FastAPI, Security
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from trusted_proxy_auth import Identity
from trusted_proxy_auth.fastapi import install_problem_details, problem_responses, security_user
from trusted_proxy_auth.starlette import authentication_middleware


@requires("authenticated")
async def me(request: Request) -> JSONResponse:
    # request.user is a TrustedUser; request.auth.scopes: "authenticated", "group:<g>" per group, granted scopes.
    return JSONResponse({"user": request.user.display_name, "scopes": request.auth.scopes})


@requires("group:admins")  # 403 for everyone else
async def admin(request: Request) -> JSONResponse:
    return JSONResponse({"admin": request.user.identity})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[Route("/me", me), Route("/admin", admin), Route("/healthz", healthz)],
    # Rejections are problem+json with the contract's code and status (401, 403, 503).
    middleware=[authentication_middleware(exclude_paths=["/healthz"])],
)

# FastAPI: the assertion header is a security scheme in /docs; 401/403/503 are documented responses.
api = FastAPI(responses=problem_responses())
install_problem_details(api)


@api.get("/me")
def read_me(identity: Identity = Security(security_user())) -> dict[str, str]:
    return {"subject": identity.subject}


@api.get("/reports")
def read_reports(identity: Identity = Security(security_user(scopes=["reports:read"]))) -> dict[str, str]:
    return {"subject": identity.subject}
