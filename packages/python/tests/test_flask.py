"""Flask extension through Flask's test client."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, g
from helpers import HEADER, JwksResponse, MockJwks, base_env, claims, make_key

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth.flask import TrustedProxyAuth as FlaskTrustedProxyAuth
from trusted_proxy_auth.flask import current_identity, login_required

KEY = make_key("ES256", "flask")
TOKEN = KEY.sign(claims(iat=int(time.time()) - 5, exp=int(time.time()) + 600))


def make_app(resolve_user: Any = None, **env: str) -> Flask:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    auth = TrustedProxyAuth(load_config(base_env(**env)), transport=mock.transport)
    app = Flask(__name__)
    FlaskTrustedProxyAuth(app, auth=auth, resolve_user=resolve_user, exempt={"healthz"})

    @app.get("/me")
    @login_required
    def me() -> dict[str, Any]:
        identity = current_identity()
        assert identity is not None
        return {"subject": identity.subject, "user": g.user if isinstance(g.user, str) else g.user.subject}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def test_identity_on_g_and_login_required() -> None:
    client = make_app().test_client()
    assert client.get("/me", headers={HEADER: TOKEN}).json == {"subject": "user-1", "user": "user-1"}
    missing = client.get("/me")
    assert missing.status_code == 401
    assert missing.content_type == "application/problem+json"
    assert missing.json is not None
    assert missing.json["code"] == "missing_assertion"
    assert client.get("/healthz").json == {"ok": "yes"}


def test_invalid_assertion_is_rejected_before_the_view_even_in_optional_mode() -> None:
    client = make_app(TRUSTED_PROXY_MODE="optional").test_client()
    response = client.get("/me", headers={HEADER: "not.a.token"})
    assert response.status_code == 401
    assert response.json is not None
    assert response.json["code"] == "malformed_assertion"
    assert "not.a.token" not in response.get_data(as_text=True)
    # optional mode without an assertion reaches the view, where login_required answers
    assert client.get("/me").json["code"] == "missing_assertion"  # type: ignore[index]


def test_resolve_user_and_forbidden() -> None:
    client = make_app(
        resolve_user=lambda identity: identity.email if identity.subject == "user-1" else None
    ).test_client()
    assert client.get("/me", headers={HEADER: TOKEN}).json == {"subject": "user-1", "user": "ann@example.com"}
    other = KEY.sign(claims(sub="user-2", iat=int(time.time()), exp=int(time.time()) + 600))
    response = client.get("/me", headers={HEADER: other})
    assert response.status_code == 403


def test_configuration_from_app_config(monkeypatch: Any) -> None:
    for name in base_env():
        monkeypatch.delenv(name, raising=False)
    app = Flask(__name__)
    app.config.update(base_env(), TRUSTED_PROXY_ISSUER=["https://a.example", "https://b.example"])
    extension = FlaskTrustedProxyAuth(app)
    assert extension.auth is not None
    assert extension.auth.config.issuer == ("https://a.example", "https://b.example")


def test_resolver_errors_the_library_raises_are_problems_others_stay_flask_errors() -> None:
    def unavailable(identity: Any) -> Any:
        raise TrustedProxyAuthError("jwks_unavailable", retry_after=7)

    response = make_app(resolve_user=unavailable).test_client().get("/me", headers={HEADER: TOKEN})
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.headers["retry-after"] == "7"
    assert response.json is not None
    assert response.json["code"] == "jwks_unavailable"

    def broken(identity: Any) -> Any:
        raise RuntimeError("user store down")

    app = make_app(resolve_user=broken)
    app.testing = False  # Flask's own 500 page instead of re-raising into the test
    failed = app.test_client().get("/me", headers={HEADER: TOKEN})
    assert failed.status_code == 500
    assert failed.content_type.startswith("text/html")


def test_an_assertion_under_a_second_non_standard_environ_key_is_refused_as_repeated() -> None:
    # A WSGI layer that writes `HTTP_X-...` next to the standard key: werkzeug lists both, so the verifier sees two.
    client = make_app().test_client()
    standard = "HTTP_" + HEADER.upper().replace("-", "_")
    dashed = "HTTP_" + HEADER.upper()
    response = client.get("/me", environ_overrides={standard: TOKEN, dashed: "forged"})
    assert response.status_code == 401
    assert response.json is not None
    assert response.json["code"] == "malformed_assertion"
    assert client.get("/me", environ_overrides={standard: TOKEN}).status_code == 200
