"""Flask behind an identity-aware proxy. Run: TRUSTED_PROXY_*=... flask --app flask_app run"""

from flask import Flask, g

from trusted_proxy_auth.flask import TrustedProxyAuth, login_required

app = Flask(__name__)
# TRUSTED_PROXY_* settings come from app.config first, then the environment.
TrustedProxyAuth(app, exempt={"healthz"})


@app.get("/me")
@login_required
def me() -> dict[str, object]:
    return {"subject": g.user.subject, "email": g.user.email, "groups": list(g.user.groups)}


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
