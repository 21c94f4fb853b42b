"""The recipes' FastAPI application: `app.add_middleware(TrustedProxyAuthMiddleware)`, configured by TRUSTED_PROXY_*.

It answers every path with the verified identity and the identity-related headers that reached it, so a
field test can tell what the proxy in front let through.
"""

from fastapi import FastAPI, Request
from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware

FORGEABLE_HEADERS = ("x-forwarded-user", "x-forwarded-email", "x-identity-assertion", "x-auth-request-user")

app = FastAPI()
app.add_middleware(TrustedProxyAuthMiddleware)


@app.api_route("/{path:path}", methods=["GET", "POST"])
async def whoami(request: Request) -> dict[str, object]:
    identity = request.state.trusted_identity
    return {
        "subject": identity.subject,
        "email": identity.email,
        "name": identity.name,
        "groups": list(identity.groups),
        "authorizationBytes": len(request.headers.get("authorization", "")),
        "received": {name: request.headers.get(name) for name in FORGEABLE_HEADERS},
    }
