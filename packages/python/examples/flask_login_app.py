"""Flask-Login's current_user and login_required fed by the proxy.

Run: pip install 'trusted-proxy-auth[flask-login]'; TRUSTED_PROXY_*=... flask --app flask_login_app run
"""

import os

from flask import Flask
from flask_login import LoginManager, current_user, login_required

from trusted_proxy_auth.flask import TrustedProxyAuth

app = Flask(__name__)
app.secret_key = os.environ.get("FLASK_SECRET_KEY", "example-only-not-secret")
login_manager = LoginManager(app)
# current_user is an IdentityUser (get_id() is the subject), or what resolve_user= returns when that is a
# Flask-Login user; a session or remember-me cookie naming someone else is logged out.
TrustedProxyAuth(app, login_manager=login_manager, exclude_paths=["/healthz"])


@app.get("/me")
@login_required
def me() -> dict[str, object]:
    return {"id": current_user.get_id(), "email": current_user.identity.email}


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
