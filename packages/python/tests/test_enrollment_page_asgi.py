"""The enrollment page of the ASGI package (Starlette TestClient): not_enrolled until trusted, the one-time code,
CSRF, the switch to enforcing without a restart, the administrator's status view and revoke."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import stat
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import AUDIENCE, HEADER, ISSUER, JwksResponse, MockJwks, claims, make_key
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from trusted_proxy_auth import TrustedProxyAuthError
from trusted_proxy_auth.enrollment import EnrollmentRecord, read_enrollment_record, write_enrollment_record
from trusted_proxy_auth.enrollment_page import DEFAULT_ENROLLMENT_PATH, TrustedProxyEnrollmentMiddleware
from trusted_proxy_auth.enrollment_page.code_guard import (
    WRONG_ATTEMPTS_BEFORE_ROTATION,
    WRONG_ATTEMPTS_PER_SESSION,
    EnrollmentCodeGuard,
)
from trusted_proxy_auth.enrollment_page.csrf import CSRF_COOKIE

KEY = make_key("ES256", "key-1")
PAGE = DEFAULT_ENROLLMENT_PATH
JWKS_URL = "https://keys.test/jwks.json"
_CODE = re.compile(r"enrollment code ([A-Z0-9]{12})")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _token(key: Any = KEY, **overrides: Any) -> str:
    now = int(time.time())
    return str(key.sign(claims(iat=now - 5, exp=now + 300, **overrides)))


def _home(request: Request) -> JSONResponse:
    return JSONResponse({"subject": request.state.user.subject})


@pytest.fixture
def record_path(tmp_path: Path) -> str:
    return str(tmp_path / "enrollment.json")


@pytest.fixture
def client(record_path: str, caplog: pytest.LogCaptureFixture) -> Iterator[TestClient]:
    caplog.set_level(logging.WARNING, logger="trusted_proxy_auth.enrollment")
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    app = Starlette(routes=[Route("/", _home)])
    app.add_middleware(
        TrustedProxyEnrollmentMiddleware,
        file=record_path,
        env={},
        discovery=False,
        transport=mock.transport,
        async_transport=mock.async_transport,
    )
    with TestClient(app, base_url="http://localhost") as test_client:
        yield test_client


def _codes(caplog: pytest.LogCaptureFixture) -> list[str]:
    # The first code is logged when the middleware is built, in the fixture's setup.
    records = [*caplog.get_records("setup"), *caplog.records]
    return [match.group(1) for record in records if (match := _CODE.search(record.getMessage()))]


def _open_page(client: TestClient, token: str) -> str:
    response = client.get(PAGE, headers={HEADER: token})
    assert response.status_code == 200
    match = _CSRF.search(response.text)
    assert match is not None
    return match.group(1)


def _form(csrf: str, code: str | None = None, **settings: str) -> dict[str, str]:
    form = {
        "csrf": csrf,
        "setting.TRUSTED_PROXY_ASSERTION_HEADER": HEADER,
        "setting.TRUSTED_PROXY_ISSUER": ISSUER,
        "setting.TRUSTED_PROXY_AUDIENCE": AUDIENCE,
        "setting.TRUSTED_PROXY_JWKS_URL": JWKS_URL,
    }
    form.update({f"setting.{name}": value for name, value in settings.items()})
    if code is not None:
        form["code"] = code
    return form


def test_protected_routes_answer_not_enrolled_and_a_code_is_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/", headers={HEADER: _token()})
    assert response.status_code == 503
    assert response.json()["code"] == "not_enrolled"
    assert len(_codes(caplog)) == 1
    assert _codes(caplog)[0] not in response.text


def test_the_page_shows_what_arrived_under_a_strict_policy_and_never_the_token(client: TestClient) -> None:
    token = _token()
    response = client.get(PAGE, headers={HEADER: token})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # noqa: PT018
    assert token not in response.text
    assert ISSUER in response.text and 'value="https://proxy.example"' in response.text  # noqa: PT018
    script = client.get(f"{PAGE}/enroll.js")
    assert script.headers["content-type"].startswith("text/javascript")
    # The bytes both languages serve: contract/enrollment-page.json.
    contract = json.loads((Path(__file__).resolve().parents[3] / "contract" / "enrollment-page.json").read_text())
    assert script.text == "\n".join(contract["script"])
    assert client.get(f"{PAGE}/enroll.css").text == "\n".join(contract["style"])


def test_actions_need_the_csrf_token_and_the_code(
    client: TestClient, caplog: pytest.LogCaptureFixture, record_path: str
) -> None:
    token = _token()
    csrf = _open_page(client, token)
    missing = client.post(f"{PAGE}/check", data=_form("", _codes(caplog)[0]), headers={HEADER: token})
    assert missing.status_code == 403
    assert "security token is missing" in missing.text
    forged = client.post(f"{PAGE}/check", data=_form("x" * 43, _codes(caplog)[0]), headers={HEADER: token})
    assert forged.status_code == 403
    client.cookies.clear()  # a browser that did not keep the page's cookie
    refused = client.post(f"{PAGE}/check", data=_form(csrf, _codes(caplog)[0]), headers={HEADER: token})
    assert refused.status_code == 403
    assert "security cookie is missing" in refused.text
    csrf = _open_page(client, token)
    wrong = client.post(f"{PAGE}/trust", data=_form(csrf, "WRONGCODE234"), headers={HEADER: token})
    assert wrong.status_code == 403
    assert "Wrong enrollment code" in wrong.text
    assert not os.path.exists(record_path)


def _post_wrong_codes(client: TestClient, token: str, csrf: str, count: int) -> httpx.Response:
    response: httpx.Response | None = None
    for _ in range(count):
        response = client.post(f"{PAGE}/check", data=_form(csrf, "WRONGCODE234"), headers={HEADER: token})
        assert response.status_code == 403
    assert response is not None
    return response


def test_a_session_is_locked_after_its_wrong_codes_while_another_session_still_enrolls(
    client: TestClient, caplog: pytest.LogCaptureFixture, record_path: str
) -> None:
    token = _token()
    csrf = _open_page(client, token)
    for attempt in range(1, WRONG_ATTEMPTS_PER_SESSION):
        response = client.post(f"{PAGE}/check", data=_form(csrf, "WRONGCODE234"), headers={HEADER: token})
        assert response.status_code == 403
        assert f"{WRONG_ATTEMPTS_PER_SESSION - attempt} attempt" in response.text
    last = _post_wrong_codes(client, token, csrf, 1)
    assert "reload the enrollment page to start over" in last.text
    # Locked: even the right code is refused in this session, and the logged code stays the same.
    code = _codes(caplog)[0]
    locked = client.post(f"{PAGE}/check", data=_form(csrf, code), headers={HEADER: token})
    assert locked.status_code == 403
    assert "reload the enrollment page to start over" in locked.text
    assert _codes(caplog) == [code]
    # Another browser (no cookie yet) with the logged code enrolls.
    locked_cookie = client.cookies.get(CSRF_COOKIE)
    client.cookies.clear()
    other = _open_page(client, token)
    assert client.cookies.get(CSRF_COOKIE) != locked_cookie
    trusted = client.post(f"{PAGE}/trust", data=_form(other, code), headers={HEADER: token})
    assert trusted.status_code == 200, trusted.text
    assert os.path.exists(record_path)


def test_a_locked_browser_gets_a_new_session_when_it_loads_the_page_again(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = _token()
    _post_wrong_codes(client, token, _open_page(client, token), WRONG_ATTEMPTS_PER_SESSION)
    locked_cookie = client.cookies.get(CSRF_COOKIE)
    csrf = _open_page(client, token)
    assert client.cookies.get(CSRF_COOKIE) != locked_cookie
    accepted = client.post(f"{PAGE}/check", data=_form(csrf, _codes(caplog)[0].lower()), headers={HEADER: token})
    assert accepted.status_code == 200, accepted.text


def test_a_flood_of_wrong_codes_from_many_sessions_keeps_the_logged_code(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = _token(sub="mallory")
    sessions = 10
    for _ in range(sessions):
        client.cookies.clear()
        _post_wrong_codes(client, token, _open_page(client, token), WRONG_ATTEMPTS_PER_SESSION + 1)
    assert sessions * WRONG_ATTEMPTS_PER_SESSION < WRONG_ATTEMPTS_BEFORE_ROTATION
    assert len(_codes(caplog)) == 1
    client.cookies.clear()
    csrf = _open_page(client, _token())
    accepted = client.post(f"{PAGE}/check", data=_form(csrf, _codes(caplog)[0]), headers={HEADER: _token()})
    assert accepted.status_code == 200, accepted.text


def test_the_code_rotates_only_after_the_global_number_of_wrong_codes_logging_one_new_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("trusted_proxy_auth.enrollment.test_guard")
    caplog.set_level(logging.WARNING, logger=logger.name)
    guard = EnrollmentCodeGuard(logger, PAGE, lambda: 0.0)
    guard.rotate("no enrollment record yet")
    session = wrong_in_session = 0
    for _ in range(1, WRONG_ATTEMPTS_BEFORE_ROTATION):
        if wrong_in_session == WRONG_ATTEMPTS_PER_SESSION:
            session += 1
            wrong_in_session = 0
        wrong_in_session += 1
        expected = "locked" if wrong_in_session == WRONG_ATTEMPTS_PER_SESSION else "wrong"
        assert guard.attempt(f"session-{session}", "fresh", "WRONGCODE234") == expected
    # Attempts of a locked session are refused without counting.
    assert guard.attempt("session-0", "fresh", "WRONGCODE234") == "locked"
    first = [m.group(1) for r in caplog.records if (m := _CODE.search(r.getMessage()))]
    assert len(first) == 1
    assert guard.attempt("last", "fresh", "WRONGCODE234") == "rotated"
    codes = [m.group(1) for r in caplog.records if (m := _CODE.search(r.getMessage()))]
    assert len(codes) == 2
    assert len(caplog.records) == 2
    assert guard.attempt("admin", "old", codes[0]) == "wrong"
    assert guard.attempt("admin", "new", codes[1]) == "accepted"
    assert guard.remembered("new")
    assert len(caplog.records) == 2


def test_a_failing_check_stores_nothing(client: TestClient, caplog: pytest.LogCaptureFixture, record_path: str) -> None:
    token = _token(iss="https://other.example")
    csrf = _open_page(client, token)
    response = client.post(f"{PAGE}/trust", data=_form(csrf, _codes(caplog)[0]), headers={HEADER: token})
    assert response.status_code == 422
    assert 'data-check="issuer" data-result="fail"' in response.text
    assert not os.path.exists(record_path)


def test_an_accepted_code_renews_the_nonce_so_a_planted_one_never_acts_without_the_code(
    client: TestClient, caplog: pytest.LogCaptureFixture, record_path: str
) -> None:
    # The attacker picks a nonce, learns its form token, and plants the cookie in the administrator's browser
    # (a cookie set from a sibling domain, say).
    planted = {"cookie": f"{CSRF_COOKIE}={'A' * 43}"}
    page = client.get(PAGE, headers={HEADER: _token(sub="mallory"), **planted})
    assert "set-cookie" not in page.headers
    match = _CSRF.search(page.text)
    assert match is not None
    attacker_csrf = match.group(1)
    code = _codes(caplog)[0]
    checked = client.post(f"{PAGE}/check", data=_form(attacker_csrf, code), headers={HEADER: _token(), **planted})
    assert checked.status_code == 200
    assert checked.headers["set-cookie"].startswith(f"{CSRF_COOKIE}=")
    assert "A" * 43 not in checked.headers["set-cookie"]
    # The attacker, still holding the planted nonce, cannot trust without the code.
    with TestClient(client.app, base_url="http://localhost") as attacker:
        hijack = attacker.post(
            f"{PAGE}/trust", data=_form(attacker_csrf), headers={HEADER: _token(sub="mallory"), **planted}
        )
    assert hijack.status_code == 403
    assert "Wrong enrollment code" in hijack.text
    assert not os.path.exists(record_path)


def test_trust_switches_to_enforcing_and_revoke_switches_back(
    client: TestClient, caplog: pytest.LogCaptureFixture, record_path: str
) -> None:
    token = _token()
    csrf = _open_page(client, token)
    checked = client.post(f"{PAGE}/check", data=_form(csrf, _codes(caplog)[0]), headers={HEADER: token})
    assert checked.status_code == 200
    assert "Every check passed" in checked.text
    assert 'data-result="fail"' not in checked.text
    # The code was accepted for this browser (which got a new cookie, so a new form token): trusting does not ask
    # again.
    renewed = _CSRF.search(checked.text)
    assert renewed is not None
    assert renewed.group(1) != csrf
    csrf = renewed.group(1)
    trusted = client.post(f"{PAGE}/trust", data=_form(csrf), headers={HEADER: token})
    assert trusted.status_code == 200, trusted.text
    assert "Enrolled" in trusted.text
    assert stat.S_IMODE(os.stat(record_path).st_mode) == 0o600
    record = read_enrollment_record(record_path)
    assert record is not None
    assert record["enrolledBy"] == {"subject": "user-1", "issuer": ISSUER, "method": "page"}

    # Enforcing at once, without a restart.
    assert client.get("/", headers={HEADER: token}).json() == {"subject": "user-1"}
    forged = client.get("/", headers={HEADER: _token(make_key("ES256", "key-1"))})
    assert forged.status_code == 401
    assert forged.json()["code"] == "invalid_signature"

    # The status view is for the enrolled administrator only.
    status_page = client.get(PAGE, headers={HEADER: token})
    assert status_page.status_code == 200
    assert "Enrollment status" in status_page.text
    assert "invalid_signature" in status_page.text  # recent failures by code
    assert client.get(PAGE, headers={HEADER: _token(sub="someone-else")}).status_code == 403
    assert client.get(PAGE).status_code == 401
    assert client.post(f"{PAGE}/trust", data=_form(csrf), headers={HEADER: token}).status_code == 409

    revoked = client.post(f"{PAGE}/revoke", data={"csrf": csrf}, headers={HEADER: token})
    assert revoked.status_code == 200
    assert "Enrollment revoked" in revoked.text
    assert not os.path.exists(record_path)
    assert client.get("/", headers={HEADER: token}).status_code == 503
    assert len(_codes(caplog)) == 2
    for response in (checked, trusted, status_page, revoked):
        assert token not in response.text
    assert all(token not in record.getMessage() for record in caplog.records)


def test_an_invalid_record_fails_the_start_up_with_its_problems(tmp_path: Path) -> None:
    broken = tmp_path / "enrollment.json"
    broken.write_text('{"format": "other"}')

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the application must not start")

    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    middleware = TrustedProxyEnrollmentMiddleware(inner, file=str(broken), env={})
    asyncio.run(middleware({"type": "lifespan"}, receive, send))
    assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
    assert "TRUSTED_PROXY_ENROLLMENT_FILE" in sent[0]["message"]
    with pytest.raises(TrustedProxyAuthError):
        asyncio.run(middleware({"type": "http", "path": "/"}, receive, send))


def test_a_record_the_cli_wrote_meanwhile_takes_effect_at_the_next_page_request(
    client: TestClient, record_path: str
) -> None:
    token = _token()
    assert client.get("/", headers={HEADER: token}).status_code == 503
    # What `trusted-proxy-auth enroll` writes (the CLI itself is tested in test_cli_enroll.py).
    record: EnrollmentRecord = {
        "format": "trusted-proxy-auth.enrollment/1",
        "settings": {
            "TRUSTED_PROXY_ASSERTION_HEADER": HEADER,
            "TRUSTED_PROXY_ISSUER": ISSUER,
            "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
            "TRUSTED_PROXY_JWKS_URL": JWKS_URL,
        },
        "enrolledAt": "2026-12-01T00:00:00Z",
        "enrolledBy": {"subject": "user-1", "issuer": ISSUER, "method": "cli"},
        "keySetUrl": JWKS_URL,
        "keys": [],
        "checks": [],
    }
    write_enrollment_record(record_path, record)
    assert client.get(PAGE, headers={HEADER: token}).status_code == 200  # the status view, for user-1
    assert client.get("/", headers={HEADER: token}).json() == {"subject": "user-1"}


def _forged(**payload: Any) -> str:
    """An assertion anyone can write: three base64url segments, any claims, no valid signature."""

    def segment(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{segment({'alg': 'ES256', 'kid': 'k'})}.{segment(payload)}.{segment('not a signature')}"


def test_discovery_runs_only_for_a_browser_that_gave_the_code(
    record_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    # As packages/core/test/enrollment-page-discovery.test.ts: the proposal's issuer comes from an assertion
    # nobody verified; discovering from it for anyone would let any visitor make the application fetch a URL of
    # their choosing and read the cause of failure on the page (a scan of the internal network).
    caplog.set_level(logging.WARNING, logger="trusted_proxy_auth.enrollment")
    fetched: list[str] = []
    discovery_url = f"{ISSUER}/.well-known/openid-configuration"

    def handler(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        if str(request.url) == discovery_url:
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": JWKS_URL})
        if str(request.url) == JWKS_URL:
            return httpx.Response(200, json={"keys": [KEY.public_jwk]})
        raise httpx.ConnectError("connection refused", request=request)

    app = Starlette(routes=[Route("/", _home)])
    transport = httpx.MockTransport(handler)
    app.add_middleware(
        TrustedProxyEnrollmentMiddleware, file=record_path, env={}, transport=transport, async_transport=transport
    )
    with TestClient(app, base_url="http://localhost") as client:
        anonymous = client.get(PAGE, headers={HEADER: _forged(iss="https://10.0.0.7:8443/internal", aud="app")})
        assert anonymous.status_code == 200
        assert fetched == []
        assert "the key set URL is then found by OpenID discovery" in anonymous.text
        token = _token()
        csrf = _open_page(client, token)
        assert fetched == []
        form = _form(csrf, _codes(caplog)[0])
        del form["setting.TRUSTED_PROXY_JWKS_URL"]
        checked = client.post(f"{PAGE}/check", data=form, headers={HEADER: token})
        assert checked.status_code == 200, checked.text
        assert fetched[0] == discovery_url
        assert f'value="{JWKS_URL}"' in checked.text
        assert f'value="{JWKS_URL}"' in client.get(PAGE, headers={HEADER: token}).text
