"""FastAPI behind an identity-aware proxy. Run: TRUSTED_PROXY_*=... uvicorn fastapi_app:app"""

from fastapi import Depends, FastAPI, Request, WebSocket

from trusted_proxy_auth import Identity, TrustedProxyAuth
from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware
from trusted_proxy_auth.fastapi import install_problem_details, optional_user, require_user

app = FastAPI()
auth = TrustedProxyAuth()  # TRUSTED_PROXY_* from the environment
app.state.trusted_proxy_auth = auth  # the dependencies use this verifier
install_problem_details(app)  # rejections from dependencies as application/problem+json


@app.get("/me")
def me(user: Identity = Depends(require_user)) -> dict[str, object]:
    return {"subject": user.subject, "email": user.email, "groups": list(user.groups)}


@app.get("/hello")
def hello(user: Identity | None = Depends(optional_user)) -> dict[str, str]:
    return {"hello": user.name or user.subject if user else "stranger"}


# Or verify every request (HTTP and WebSocket) up front, with request.state.user:
guarded = FastAPI()
guarded.add_middleware(TrustedProxyAuthMiddleware, auth=auth, exclude_paths={"/healthz"})


@guarded.get("/whoami")
def whoami(request: Request) -> dict[str, object]:
    user: Identity = request.state.user
    return user.to_dict()


@guarded.get("/healthz")
def healthz() -> dict[str, str]:
    return {"keys": auth.status().state}


@guarded.websocket("/ws")
async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"subject": websocket.state.user.subject})
    await websocket.close()
