"""An enrollment made by the CLI (or the Python page) of one language is loaded and enforced by the other, and
both `enroll` commands answer alike (exit code and JSON) on the same inputs. Key sets are served on 127.0.0.1;
the TypeScript CLI is the built core (packages/core/dist/cli/main.js)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import HEADER, ISSUER, NOW, JwksResponse, claims, loopback_jwks_server, make_key
from starlette.applications import Starlette
from starlette.testclient import TestClient
from vectors import NODE_CLI, TS_CLI

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth.cli import run
from trusted_proxy_auth.enrollment_page import DEFAULT_ENROLLMENT_PATH, TrustedProxyEnrollmentMiddleware

KEY = make_key("ES256", "key-1")
TOKEN = KEY.sign(claims())
FORGED = make_key("ES256", "key-1").sign(claims())


@dataclass(frozen=True)
class Enrollment:
    """One `enroll` run: its flags (the key URL path and --out are filled in), the challenge, extra environment."""

    flags: tuple[str, ...] = ()
    token: str = TOKEN
    jwks_path: str = "/jwks.json"
    env: dict[str, str] = field(default_factory=dict)
    yes: bool = True
    key_url: bool = True


SCENARIOS = {
    "written": Enrollment(),
    "issuer refused": Enrollment(flags=("--issuer", "https://other.example")),
    "audience refused": Enrollment(flags=("--audience", "other")),
    "expired": Enrollment(token=KEY.sign(claims(iat=NOW - 7200, exp=NOW - 3600))),
    "not signed by the key set": Enrollment(token=FORGED),
    "jku in the header": Enrollment(
        token=KEY.sign(claims(), {"alg": "ES256", "kid": "key-1", "jku": "https://a.test/"})
    ),
    "keys unreachable": Enrollment(jwks_path="/absent.json"),
    "plain http outside loopback": Enrollment(flags=("--jwks-url", "http://keys.test/jwks.json")),
    "an algorithm the runtime refuses": Enrollment(env={"TRUSTED_PROXY_ALGORITHMS": "HS256"}),
    "no --yes without a terminal": Enrollment(yes=False),
    "not a compact JWS": Enrollment(token="not.a-token"),
    "credentials in the key URL": Enrollment(jwks_path="/jwks.json?access_token=kept-out-of-output"),
    "an inline key set": Enrollment(key_url=False, env={"TRUSTED_PROXY_JWKS": json.dumps({"keys": [KEY.public_jwk]})}),
}
WRITTEN = ("written", "credentials in the key URL", "an inline key set")


@pytest.fixture(scope="module")
def jwks_base() -> Iterator[str]:
    assert shutil.which("node"), "node is needed for the cross-language enrollment tests"
    assert TS_CLI.is_file(), f"{TS_CLI} is missing: build the TypeScript core first"
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        yield base


def _args(scenario: Enrollment, base: str, out: Path) -> list[str]:
    args = ["enroll", "--assertion", "-", "--assertion-header", HEADER, "--out", str(out), "--now", str(NOW), "--json"]
    args += [] if "--issuer" in scenario.flags else ["--issuer", ISSUER]
    args += [] if "--audience" in scenario.flags else ["--audience", "app"]
    if scenario.key_url and "--jwks-url" not in scenario.flags:
        args += ["--jwks-url", base + scenario.jwks_path]
    return [*args, *scenario.flags, *(["--yes"] if scenario.yes else [])]


def _node(args: list[str], stdin: str, env: dict[str, str]) -> tuple[int, str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("TRUSTED_PROXY_")}
    completed = subprocess.run(
        [*NODE_CLI, *args], input=stdin, capture_output=True, text=True, env={**clean, **env}, timeout=60, check=False
    )
    assert stdin.strip() not in completed.stdout + completed.stderr
    return completed.returncode, completed.stdout


def _python(args: list[str], stdin: str, env: dict[str, str]) -> tuple[int, str]:
    out = io.StringIO()
    code = run(args, env=env, stdin=io.StringIO(stdin), stdout=out, stderr=io.StringIO(), is_terminal=False)
    assert stdin.strip() not in out.getvalue()
    return code, out.getvalue()


def _without_out(text: str) -> Any:
    body = json.loads(text)
    if isinstance(body, dict):
        body.pop("out", None)
    return body


def test_both_enroll_commands_answer_alike(jwks_base: str, tmp_path: Path) -> None:
    runs = {
        name: (_args(scenario, jwks_base, tmp_path / f"ts-{index}.json"), scenario)
        for index, (name, scenario) in enumerate(SCENARIOS.items())
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        node_results = dict(
            zip(runs, pool.map(lambda item: _node(item[0], item[1].token, item[1].env), runs.values()), strict=True)
        )
    differences: dict[str, Any] = {}
    for index, (name, scenario) in enumerate(SCENARIOS.items()):
        python_code, python_text = _python(
            _args(scenario, jwks_base, tmp_path / f"py-{index}.json"), scenario.token, scenario.env
        )
        node_code, node_text = node_results[name]
        if (python_code, _without_out(python_text)) != (node_code, _without_out(node_text)):
            differences[name] = {"python": (python_code, python_text), "node": (node_code, node_text)}
        written = name in WRITTEN
        assert (tmp_path / f"py-{index}.json").exists() is written
        assert (tmp_path / f"ts-{index}.json").exists() is written
        assert "kept-out-of-output" not in python_text + node_text
    assert differences == {}


def test_a_record_the_typescript_cli_wrote_is_enforced_by_python(jwks_base: str, tmp_path: Path) -> None:
    out = tmp_path / "enrollment.json"
    code, text = _node(_args(Enrollment(), jwks_base, out), TOKEN, {})
    assert code == 0, text
    config = load_config({"TRUSTED_PROXY_ENROLLMENT_FILE": str(out)})
    auth = TrustedProxyAuth(config)
    try:
        assert auth.verify_assertion(TOKEN, now=NOW).subject == "user-1"
        for token, code_expected in (
            (FORGED, "invalid_signature"),
            (KEY.sign(claims(iss="https://x.test")), "issuer_mismatch"),
        ):
            with pytest.raises(TrustedProxyAuthError) as raised:
                auth.verify_assertion(token, now=NOW)
            assert raised.value.code == code_expected
        with pytest.raises(TrustedProxyAuthError) as raised:
            auth.verify_assertion(TOKEN, now=NOW + 3600)
        assert raised.value.code == "expired"
    finally:
        auth.close()


def test_a_record_the_python_cli_wrote_is_enforced_by_typescript(jwks_base: str, tmp_path: Path) -> None:
    out = tmp_path / "enrollment.json"
    code, text = _python(_args(Enrollment(), jwks_base, out), TOKEN, {})
    assert code == 0, text
    env = {"TRUSTED_PROXY_ENROLLMENT_FILE": str(out)}
    cases = [
        (TOKEN, 0, None),
        (FORGED, 1, "invalid_signature"),
        (KEY.sign(claims(aud="other")), 1, "audience_mismatch"),
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda case: _node(["verify", "--now", str(NOW), "-"], case[0], env), cases))
    for (_, expected_code, expected_error), (exit_code, output) in zip(cases, results, strict=True):
        assert exit_code == expected_code, output
        body = json.loads(output)
        if expected_error is None:
            assert body["identity"]["subject"] == "user-1"
            assert body["identity"]["issuer"] == ISSUER
        else:
            assert body["error"]["code"] == expected_error


def test_a_record_the_python_page_wrote_is_enforced_by_typescript(jwks_base: str, tmp_path: Path) -> None:
    now = int(time.time())
    token = KEY.sign(claims(iat=now - 5, exp=now + 600))
    record = tmp_path / "enrollment.json"
    codes: list[str] = []

    class Codes(logging.Handler):
        def emit(self, entry: logging.LogRecord) -> None:
            found = re.search(r"enrollment code ([A-Z0-9]{12})", entry.getMessage())
            if found:
                codes.append(found.group(1))

    handler = Codes()
    logging.getLogger("trusted_proxy_auth.enrollment").addHandler(handler)
    try:
        app = Starlette()
        app.add_middleware(TrustedProxyEnrollmentMiddleware, file=str(record), env={}, discovery=False)
        with TestClient(app, base_url="http://localhost") as client:
            page = client.get(DEFAULT_ENROLLMENT_PATH, headers={HEADER: token})
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            form = {
                "csrf": csrf.group(1),
                "code": codes[0],
                "setting.TRUSTED_PROXY_ASSERTION_HEADER": HEADER,
                "setting.TRUSTED_PROXY_ISSUER": ISSUER,
                "setting.TRUSTED_PROXY_AUDIENCE": "app",
                "setting.TRUSTED_PROXY_JWKS_URL": f"{jwks_base}/jwks.json",
            }
            trusted = client.post(f"{DEFAULT_ENROLLMENT_PATH}/trust", data=form, headers={HEADER: token})
            assert trusted.status_code == 200, trusted.text
    finally:
        logging.getLogger("trusted_proxy_auth.enrollment").removeHandler(handler)
    assert json.loads(record.read_text())["enrolledBy"]["method"] == "page"
    env = {"TRUSTED_PROXY_ENROLLMENT_FILE": str(record)}
    forged = make_key("ES256", "key-1").sign(claims(iat=now - 5, exp=now + 600))
    with ThreadPoolExecutor(max_workers=2) as pool:
        good, bad = pool.map(lambda text: _node(["verify", "-"], text, env), (token, forged))
    assert good[0] == 0, good[1]
    assert json.loads(good[1])["identity"]["subject"] == "user-1"
    assert bad[0] == 1
    assert json.loads(bad[1])["error"]["code"] == "invalid_signature"
