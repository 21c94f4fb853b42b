"""Flask-Login fed by the verified identity: `current_user`, `flask_login.login_required`, and the proxy's word
winning over a session or remember-me cookie; keys from trusted_proxy_auth.testing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user

from trusted_proxy_auth import Identity, TrustedProxyAuth
from trusted_proxy_auth.flask import TrustedProxyAuth as FlaskTrustedProxyAuth
from trusted_proxy_auth.testing import JwksEndpoint, TestIssuer, proxy_headers, verifier_for

ISSUER = TestIssuer(audience="app")


class AppUser(UserMixin):  # type: ignore[misc]  # Flask-Login ships no type information
    def __init__(self, user_id: str) -> None:
        self.id = user_id


USERS = {name: AppUser(name) for name in ("admin", "ann", "bob")}


@pytest.fixture
def auth() -> Iterator[TrustedProxyAuth]:
    verifier = verifier_for(ISSUER, JwksEndpoint(ISSUER))
    yield verifier
    verifier.close()


def make_app(auth: TrustedProxyAuth, *, resolve_user: Any = None) -> Flask:
    app = Flask(__name__)
    app.secret_key = "tests-only"
    login_manager = LoginManager(app)

    @login_manager.user_loader  # type: ignore[untyped-decorator]
    def load_user(user_id: str) -> AppUser | None:
        return USERS.get(user_id)

    FlaskTrustedProxyAuth(
        app, auth=auth, resolve_user=resolve_user, login_manager=login_manager, exclude_paths=["/password-login"]
    )

    @app.get("/me")
    @login_required  # type: ignore[untyped-decorator]
    def me() -> dict[str, Any]:
        return {"id": current_user.get_id(), "type": type(current_user._get_current_object()).__name__}

    @app.get("/password-login")
    def password_login() -> dict[str, bool]:
        # The app's own login, outside the proxy's protection (excluded path): an administrator signs in.
        return {"ok": login_user(USERS["admin"], remember=True)}

    @app.get("/whoami")
    def whoami() -> dict[str, Any]:
        return {"id": current_user.get_id() if current_user.is_authenticated else None, "g": g.user is not None}

    return app


def headers(**claims: Any) -> dict[str, str]:
    return proxy_headers(ISSUER.make_assertion(**claims))


def test_current_user_and_login_required_follow_the_identity(auth: TrustedProxyAuth) -> None:
    client = make_app(auth).test_client()
    assert client.get("/me", headers=headers(sub="carol")).json == {"id": "carol", "type": "IdentityUser"}


def test_a_resolved_flask_login_user_is_current_user(auth: TrustedProxyAuth) -> None:
    def resolve(identity: Identity) -> AppUser | None:
        return USERS.get(identity.subject)

    client = make_app(auth, resolve_user=resolve).test_client()
    assert client.get("/me", headers=headers(sub="ann")).json == {"id": "ann", "type": "AppUser"}
    denied = client.get("/me", headers=headers(sub="stranger"))
    assert denied.status_code == 403
    assert denied.json is not None
    assert denied.json["code"] == "forbidden_user"


def test_optional_mode_without_an_assertion_leaves_flask_login_alone() -> None:
    verifier = verifier_for(ISSUER, overrides={"TRUSTED_PROXY_MODE": "optional"})
    try:
        client = make_app(verifier).test_client()
        assert client.get("/me").status_code == 401  # Flask-Login's own unauthorized answer
        assert client.get("/whoami").json == {"id": None, "g": False}
        client.get("/password-login")
        assert client.get("/whoami").json == {"id": "admin", "g": False}
    finally:
        verifier.close()


def test_the_proxy_wins_over_a_session_and_logs_it_out(auth: TrustedProxyAuth) -> None:
    client = make_app(auth).test_client()
    assert client.get("/password-login").json == {"ok": True}
    with client.session_transaction() as session:
        assert session["_user_id"] == "admin"
    assert client.get("/whoami", headers=headers(sub="ann")).json == {"id": "ann", "g": True}
    with client.session_transaction() as session:
        assert "_user_id" not in session
    # The session user the proxy vouches for keeps the session.
    client.get("/password-login")
    assert client.get("/whoami", headers=headers(sub="admin")).json == {"id": "admin", "g": True}
    with client.session_transaction() as session:
        assert session["_user_id"] == "admin"


def test_the_proxy_wins_over_a_remember_me_cookie(auth: TrustedProxyAuth) -> None:
    client = make_app(auth).test_client()
    client.get("/password-login")
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")  # a new browser session: only the remember-me cookie is left
    response = client.get("/whoami", headers=headers(sub="bob"))
    assert response.json == {"id": "bob", "g": True}
    assert client.get_cookie("remember_token") is None  # cleared by the logout
