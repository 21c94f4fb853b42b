"""Per-route requirements: the shared cases (test-vectors/requirements/cases.json), the guard rule, and the
FastAPI dependency and Flask decorator that map it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from flask import Flask
from helpers import HEADER, JwksResponse, MockJwks, base_env, claims, make_key

from trusted_proxy_auth import (
    Identity,
    RouteRequirements,
    TrustedProxyAuth,
    TrustedProxyAuthError,
    check_requirements,
    load_config,
)
from trusted_proxy_auth.fastapi import APP_STATE_KEY, install_problem_details
from trusted_proxy_auth.fastapi import require_identity as fastapi_require_identity
from trusted_proxy_auth.flask import TrustedProxyAuth as FlaskTrustedProxyAuth
from trusted_proxy_auth.flask import require_identity as flask_require_identity
from trusted_proxy_auth.requirements import validate_requirements

CASES_FILE = Path(__file__).resolve().parents[3] / "test-vectors" / "requirements" / "cases.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())["cases"]

KEY = make_key("ES256", "guards")


def token(**overrides: Any) -> str:
    return KEY.sign(claims(iat=int(time.time()) - 5, exp=int(time.time()) + 600, **overrides))


def make_auth(**env: str) -> TrustedProxyAuth:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    return TrustedProxyAuth(
        load_config(base_env(**env)), transport=mock.transport, async_transport=mock.async_transport
    )


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_shared_requirement_case(case: dict[str, Any]) -> None:
    expected = case["expected"]
    if "invalid" in expected:
        with pytest.raises(TrustedProxyAuthError) as raised:
            validate_requirements(case["requirements"])
        assert raised.value.code == "invalid_config"
        assert [problem.variable for problem in raised.value.problems or ()] == expected["invalid"]
        return
    validate_requirements(case["requirements"])
    identity = case["identity"]
    outcome = check_requirements(identity["groups"], identity["claims"], case["requirements"])
    assert outcome == (None if expected["allowed"] else expected["detail"])


def identity_of(**overrides: Any) -> Identity:
    verified = make_auth().verify_assertion(token(**overrides))
    assert verified is not None
    return verified


def denial(run: Any) -> tuple[str, int, str | None]:
    with pytest.raises(TrustedProxyAuthError) as raised:
        run()
    return raised.value.code, raised.value.status, raised.value.detail


def test_guard_rule_no_identity_failed_requirement_and_checks() -> None:
    alice = identity_of(tenant="acme")
    assert denial(lambda: RouteRequirements().enforce(None, object())) == (
        "missing_assertion",
        401,
        "the route requires an identity",
    )
    assert denial(lambda: RouteRequirements(claims=["tenant=other"]).enforce(alice, object())) == (
        "forbidden_user",
        403,
        "route requires claim tenant=other",
    )
    seen: list[Any] = []
    request = object()

    def remember(who: Identity, req: Any) -> bool:
        seen.append((who, req))
        return True

    assert RouteRequirements(check=remember).enforce(alice, request) is alice
    assert seen == [(alice, request)]

    async def async_yes(who: Identity, req: Any) -> bool:
        return True

    assert RouteRequirements(check=async_yes).enforce(alice, request) is alice
    for answer in (False, None, "yes", 1):
        assert denial(
            lambda answer=answer: RouteRequirements(check=lambda who, req: answer).enforce(alice, request)
        ) == (
            "forbidden_user",
            403,
            "route requires check",
        )


def test_a_check_runs_after_the_declarative_requirements_and_may_raise_its_own_code() -> None:
    alice = identity_of()
    calls: list[str] = []

    def counted(who: Identity, req: Any) -> bool:
        calls.append(who.subject)
        return True

    guarded = RouteRequirements(groups={"any": ["ops"]}, check=counted)
    assert denial(lambda: guarded.enforce(alice, None))[2] == "route requires groups any of ops"
    assert calls == []

    def step_up(who: Identity, req: Any) -> bool:
        raise TrustedProxyAuthError("missing_assertion", detail="step-up needed")

    assert denial(lambda: RouteRequirements(check=step_up).enforce(alice, None)) == (
        "missing_assertion",
        401,
        "step-up needed",
    )

    def broken(who: Identity, req: Any) -> bool:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        RouteRequirements(check=broken).enforce(alice, None)


def test_a_malformed_requirement_is_refused_when_created() -> None:
    with pytest.raises(TrustedProxyAuthError) as raised:
        RouteRequirements(scopes=[], groups={})
    assert [problem.variable for problem in raised.value.problems or ()] == ["groups", "scopes"]
    with pytest.raises(TrustedProxyAuthError):
        fastapi_require_identity(claims=["=x"])
    with pytest.raises(TrustedProxyAuthError):
        flask_require_identity(check="yes")  # type: ignore[arg-type]


def fastapi_app(**env: str) -> TestClient:
    app = FastAPI()
    app.state.__setattr__(APP_STATE_KEY, make_auth(**env))
    install_problem_details(app)
    calls: list[tuple[str, bool]] = []
    app.state.calls = calls

    async def async_check(identity: Identity, request: Request) -> bool:
        calls.append((identity.subject, isinstance(request, Request)))
        return identity.email == "ann@example.com"

    tenant_guard = fastapi_require_identity(claims=["tenant=acme"])

    @app.get("/tenant")
    def tenant(identity: Identity = Depends(tenant_guard)) -> dict[str, str]:
        return {"subject": identity.subject}

    @app.get("/admins", dependencies=[Depends(fastapi_require_identity(groups={"any": ["ops", "admins"]}))])
    def admins() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/staff-and-ops", dependencies=[Depends(fastapi_require_identity(groups={"all": ["staff", "ops"]}))])
    def staff_and_ops() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/reports", dependencies=[Depends(fastapi_require_identity(scopes=["reports:read", "files:read"]))])
    def reports() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/checked", dependencies=[Depends(fastapi_require_identity(check=async_check))])
    def checked() -> dict[str, bool]:
        return {"ok": True}

    return TestClient(app)


def problem_code(response: Any, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json() if callable(response.json) else response.json  # httpx vs. werkzeug
    return str(body["code"])


def test_fastapi_dependency_guards_routes() -> None:
    client = fastapi_app()
    assert client.get("/tenant", headers={HEADER: token(tenant="acme")}).json() == {"subject": "user-1"}
    denied = client.get("/tenant", headers={HEADER: token(tenant="ACME")})
    assert problem_code(denied, 403) == "forbidden_user"
    assert "ACME" not in denied.text
    assert client.get("/admins", headers={HEADER: token(groups=["staff", "admins"])}).status_code == 200
    assert problem_code(client.get("/admins", headers={HEADER: token()}), 403) == "forbidden_user"
    assert client.get("/staff-and-ops", headers={HEADER: token(groups=["ops", "staff"])}).status_code == 200
    assert problem_code(client.get("/staff-and-ops", headers={HEADER: token()}), 403) == "forbidden_user"
    assert (
        client.get("/reports", headers={HEADER: token(scope="reports:read x", scp=["files:read"])}).status_code == 200
    )
    assert problem_code(client.get("/reports", headers={HEADER: token(scope="reports:read")}), 403) == "forbidden_user"
    assert client.get("/checked", headers={HEADER: token()}).status_code == 200
    assert (
        problem_code(client.get("/checked", headers={HEADER: token(email="eve@example.com")}), 403) == "forbidden_user"
    )
    assert client.app.state.calls == [("user-1", True), ("user-1", True)]  # type: ignore[attr-defined]


def test_fastapi_dependency_without_an_identity_is_401_missing_assertion() -> None:
    client = fastapi_app(TRUSTED_PROXY_MODE="optional")
    assert problem_code(client.get("/tenant"), 401) == "missing_assertion"
    assert problem_code(client.get("/tenant", headers={HEADER: "garbage"}), 401) == "malformed_assertion"


def flask_client(**env: str) -> Any:
    app = Flask(__name__)
    FlaskTrustedProxyAuth(app, auth=make_auth(**env), exempt={"bare"})
    seen: list[str] = []
    app.config["SEEN"] = seen

    async def async_check(identity: Identity, request: Any) -> bool:
        seen.append(f"{identity.subject} {request.path}")
        return identity.subject != "bob"

    @app.get("/tenant")
    @flask_require_identity(claims=["tenant=acme"], groups={"any": ["staff"]})
    def tenant() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/reports")
    @flask_require_identity(scopes=["reports:read"], check=async_check)
    def reports() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/bare")
    @flask_require_identity(claims=["tenant"])
    def bare() -> dict[str, str]:
        return {"ok": "yes"}

    return app.test_client()


def test_flask_decorator_guards_routes() -> None:
    client = flask_client()
    assert client.get("/tenant", headers={HEADER: token(tenant="acme")}).json == {"ok": "yes"}
    assert problem_code(client.get("/tenant", headers={HEADER: token(tenant="other")}), 403) == "forbidden_user"
    assert (
        problem_code(client.get("/tenant", headers={HEADER: token(tenant="acme", groups=[])}), 403) == "forbidden_user"
    )
    assert client.get("/reports", headers={HEADER: token(scp="reports:read")}).status_code == 200
    assert (
        problem_code(client.get("/reports", headers={HEADER: token(scp="reports:read", sub="bob")}), 403)
        == "forbidden_user"
    )
    assert problem_code(client.get("/reports", headers={HEADER: token()}), 403) == "forbidden_user"
    assert client.application.config["SEEN"] == ["user-1 /reports", "bob /reports"]
    # An exempt endpoint has no identity: its guard answers 401.
    assert problem_code(client.get("/bare", headers={HEADER: token(tenant="acme")}), 401) == "missing_assertion"


def test_flask_decorator_in_optional_mode_without_an_assertion_is_401() -> None:
    assert problem_code(flask_client(TRUSTED_PROXY_MODE="optional").get("/tenant"), 401) == "missing_assertion"
