"""Issue 10, "Diagnosable without leaking": details on rejections (identical to TypeScript's), the debug
setting for problem bodies, the start-up log with warnings, `str()` of invalid_config listing every problem,
and one shared verifier per configuration for the adapters."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from flask import Flask
from helpers import HEADER, JwksResponse, MockJwks, base_env, claims, loopback_jwks_server, make_key

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config, to_problem_details
from trusted_proxy_auth._detail_text import quoted, quoted_list
from trusted_proxy_auth._logging import configuration_summary, loggable_url, risky_settings
from trusted_proxy_auth._shared import shared_verifier_count
from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware
from trusted_proxy_auth.flask import TrustedProxyAuth as FlaskTrustedProxyAuth

KEY = make_key("ES256", "diag")
NOW = int(time.time())


def _verifier(**env: str) -> tuple[TrustedProxyAuth, MockJwks]:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    return TrustedProxyAuth(load_config(base_env(**env)), transport=mock.transport), mock


def test_detail_text_cuts_and_escapes_like_typescript() -> None:
    assert quoted('a"b\\c\n\x7f\x85\u2028') == '"a\\"b\\\\c\\u000a\\u007f\\u0085\\u2028"'
    assert quoted("x" * 101) == '"' + "x" * 100 + '…"'
    assert quoted("\U0001f600" * 100) == '"' + "\U0001f600" * 100 + '"'
    assert quoted("\ud800") == '"\\ud800"'
    assert quoted(42) == "(number)"
    assert quoted_list([]) == "[]"
    assert quoted_list(["a", "b", "c", "d", "e", "f"]) == '"a", "b", "c", "d", "e" and 1 more'


def test_rejection_detail_in_error_event_and_only_diagnostic_problem_bodies() -> None:
    events: list[dict[str, Any]] = []
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    auth = TrustedProxyAuth(load_config(base_env()), transport=mock.transport, on_event=events.append)
    token = KEY.sign(claims(iss="https://proxy.example/", iat=NOW - 5, exp=NOW + 600))
    with pytest.raises(TrustedProxyAuthError) as caught:
        auth.verify_assertion(token)
    auth.close()
    detail = 'iss "https://proxy.example/" is not one of "https://proxy.example"'
    error = caught.value
    assert (error.code, error.detail, error.message) == (
        "issuer_mismatch",
        detail,
        "the identity assertion issuer is not trusted",
    )
    assert str(error) == f"the identity assertion issuer is not trusted: {detail}"
    assert events[-1] == {"type": "verify_failed", "code": "issuer_mismatch", "detail": detail}
    assert error.to_dict()["detail"] == detail
    assert to_problem_details(error).body["detail"] == "the identity assertion issuer is not trusted"
    diagnostic = to_problem_details(error, problem_detail="diagnostic").body["detail"]
    assert diagnostic == f"the identity assertion issuer is not trusted: {detail}"
    for segment in token.split("."):
        assert segment not in repr(events) + str(error)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("generic", "no identity assertion was found in the configured header"),
        (
            "diagnostic",
            'no identity assertion was found in the configured header: header "X-Assertion" is absent or empty',
        ),
    ],
)
def test_flask_problem_body_follows_trusted_proxy_problem_detail(setting: str, expected: str) -> None:
    auth, _ = _verifier(TRUSTED_PROXY_PROBLEM_DETAIL=setting)
    app = Flask(__name__)
    FlaskTrustedProxyAuth(app, auth=auth)
    app.add_url_rule("/", "index", lambda: "hi")
    response = app.test_client().get("/")
    auth.close()
    assert response.status_code == 401
    assert response.get_json()["detail"] == expected


def test_str_of_invalid_config_lists_every_problem() -> None:
    with pytest.raises(TrustedProxyAuthError) as caught:
        load_config({"TRUSTED_PROXY_CLOCK_TOLERANCE": "soon"})
    error = caught.value
    assert error.problems is not None
    assert len(error.problems) >= 4
    text = str(error)
    assert text.startswith("the trusted-proxy-auth configuration is invalid: ")
    for problem in error.problems:
        assert f"{problem.variable} {problem.message}" in text
    assert "TRUSTED_PROXY_CLOCK_TOLERANCE must be a whole number" in text


def test_start_up_line_and_first_key_load_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="trusted_proxy_auth")
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    config = load_config(base_env("https://user:pass@keys.test/jwks.json?token=abc"))
    auth = TrustedProxyAuth(config, transport=mock.transport)
    auth.ready()
    auth.close()
    messages = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert messages[0][0] == "INFO"
    assert messages[0][1].startswith(
        'configured: preset=none header="X-Assertion" keys=jwks https://keys.test/jwks.json '
        'issuer="https://proxy.example" audience="app" '
    )
    assert any(
        level == "INFO" and text.startswith("keys loaded: 1 keys (0 ignored) from https://keys.test/jwks.json in ")
        for level, text in messages
    )
    assert "pass" not in caplog.text
    assert "token=abc" not in caplog.text


def test_first_key_load_failure_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="trusted_proxy_auth")
    auth = TrustedProxyAuth(load_config(base_env()), transport=MockJwks(JwksResponse(status=500, body="no")).transport)
    with pytest.raises(TrustedProxyAuthError):
        auth.ready()
    auth.close()
    assert any(
        record.levelname == "WARNING"
        and record.getMessage().startswith("keys not loaded: https://keys.test/jwks.json: ")
        for record in caplog.records
    )


def test_risky_settings_are_warned_about() -> None:
    config = load_config(base_env())
    assert risky_settings(config) == []
    risky = load_config(base_env(TRUSTED_PROXY_MODE="optional", TRUSTED_PROXY_CLOCK_TOLERANCE="301"))
    warnings = risky_settings(risky)
    assert warnings[0].startswith("TRUSTED_PROXY_MODE=optional without TRUSTED_PROXY_TRUSTED_ADDRESSES")
    assert warnings[1].startswith("TRUSTED_PROXY_CLOCK_TOLERANCE=301 is more than 300 s")
    from dataclasses import replace

    from trusted_proxy_auth import JwksSource

    plain = replace(config, key_source=JwksSource("http://keys.example/jwks.json"))
    assert risky_settings(plain) == [
        "the key URL http://keys.example/jwks.json is plain http outside loopback: keys can be replaced in transit"
    ]
    assert risky_settings(replace(config, key_source=JwksSource("http://127.0.0.1:8080/jwks.json"))) == []


def test_the_shared_secret_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="trusted_proxy_auth")
    secret = "a-shared-secret-of-at-least-32-bytes-long!"
    config = load_config(
        {
            "TRUSTED_PROXY_PRESET": "authentik",
            "TRUSTED_PROXY_ISSUER": "https://auth.example.com/application/o/app/",
            "TRUSTED_PROXY_AUDIENCE": "client-id",
            "TRUSTED_PROXY_SHARED_SECRET": secret,
        }
    )
    TrustedProxyAuth(config).close()
    assert "keys=shared-secret" in configuration_summary(config)
    assert secret not in caplog.text
    assert any(
        record.getMessage().startswith("keys=shared-secret")
        for record in caplog.records
        if record.levelname == "WARNING"
    )


def test_loggable_url_drops_credentials_query_and_fragment() -> None:
    assert loggable_url("https://u:p@keys.example/a/{kid}?sig=1#x") == "https://keys.example/a/{kid}"


def test_five_adapters_with_the_same_settings_share_one_verifier(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="trusted_proxy_auth")
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        for name, value in base_env(base + "/jwks.json", TRUSTED_PROXY_CLOCK_TOLERANCE="59").items():
            monkeypatch.setenv(name, value)
        before = shared_verifier_count()
        apps = [Flask(f"app{index}") for index in range(3)]
        extensions = [FlaskTrustedProxyAuth(app) for app in apps]
        middlewares = [TrustedProxyAuthMiddleware(lambda scope, receive, send: asyncio.sleep(0)) for _ in range(2)]
        verifiers = {id(extension.auth) for extension in extensions} | {
            id(middleware.auth) for middleware in middlewares
        }
        assert len(verifiers) == 1
        assert shared_verifier_count() == before + 1
        shared = middlewares[0].auth
        shared.ready()
        token = KEY.sign(claims(iat=NOW - 5, exp=NOW + 600))
        for app in apps:
            app.add_url_rule("/", "index", lambda: "hi")
            assert app.test_client().get("/", headers={HEADER: token}).status_code == 200
        # One verifier built (one start-up line) and one key fetch, not five.
        messages = [record.getMessage() for record in caplog.records]
        assert sum(message.startswith("configured: ") for message in messages) == 1
        assert sum(message.startswith("keys loaded: ") for message in messages) == 1
        shared.close()
        assert shared_verifier_count() == before
        # A closed shared verifier is replaced by a fresh one on next use.
        fresh = TrustedProxyAuth.shared()
        assert fresh is not shared
        fresh.close()
