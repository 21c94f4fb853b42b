"""`trusted-proxy-auth enroll` (Python): exit codes, JSON output, the record it writes, and `verify` enforcing
that record through TRUSTED_PROXY_ENROLLMENT_FILE. Key sets are served on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import AUDIENCE, HEADER, ISSUER, NOW, JwksResponse, claims, loopback_jwks_server, make_key

from trusted_proxy_auth.cli import run

KEY = make_key("ES256", "key-1")
TOKEN = KEY.sign(claims())


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        yield f"{base}/jwks.json"


def enroll(args: list[str], env: dict[str, str] | None = None, stdin: str = TOKEN) -> tuple[int, str]:
    out = io.StringIO()
    code = run(["enroll", *args], env=env or {}, stdin=io.StringIO(stdin), stdout=out, is_terminal=False)
    assert TOKEN not in out.getvalue()
    return code, out.getvalue()


def _flags(jwks_url: str, out: Path) -> list[str]:
    return [
        "--issuer",
        ISSUER,
        "--audience",
        AUDIENCE,
        "--assertion",
        "-",
        "--assertion-header",
        HEADER,
        "--jwks-url",
        jwks_url,
        "--out",
        str(out),
        "--now",
        str(NOW),
    ]


def test_enroll_writes_the_record_and_prints_the_report(jwks_url: str, tmp_path: Path) -> None:
    out = tmp_path / "enrollment.json"
    code, text = enroll([*_flags(jwks_url, out), "--yes"])
    assert code == 0, text
    body = json.loads(text)
    assert set(body) == {"ok", "written", "out", "settings", "keySetUrl", "keys", "enrolledBy", "checks", "decoded"}
    assert body["ok"] is True
    assert body["written"] is True
    assert body["out"] == str(out)
    assert body["settings"] == {
        "TRUSTED_PROXY_ASSERTION_HEADER": HEADER,
        "TRUSTED_PROXY_ISSUER": ISSUER,
        "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
        "TRUSTED_PROXY_JWKS_URL": jwks_url,
    }
    assert body["enrolledBy"] == {"subject": "user-1", "issuer": ISSUER}
    assert body["keySetUrl"] == jwks_url
    assert [key["kid"] for key in body["keys"]] == ["key-1"]
    assert {check["result"] for check in body["checks"]} == {"pass"}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    record = json.loads(out.read_text())
    assert record["enrolledBy"] == {"subject": "user-1", "issuer": ISSUER, "method": "cli"}


def test_the_enrolled_record_is_enforced_by_verify(jwks_url: str, tmp_path: Path) -> None:
    out = tmp_path / "enrollment.json"
    assert enroll([*_flags(jwks_url, out), "--yes"])[0] == 0
    env = {"TRUSTED_PROXY_ENROLLMENT_FILE": str(out)}
    verified = io.StringIO()
    assert run(["verify", "--now", str(NOW), "-"], env=env, stdin=io.StringIO(TOKEN), stdout=verified) == 0
    assert json.loads(verified.getvalue())["identity"]["subject"] == "user-1"
    refused = io.StringIO()
    forged = make_key("ES256", "key-1").sign(claims())
    assert run(["verify", "--now", str(NOW), "-"], env=env, stdin=io.StringIO(forged), stdout=refused) == 1
    assert json.loads(refused.getvalue())["error"]["code"] == "invalid_signature"


def test_enroll_from_an_environment_variable_and_the_default_out(jwks_url: str, tmp_path: Path) -> None:
    out = tmp_path / "enrollment.json"
    env = {"CHALLENGE": TOKEN, "TRUSTED_PROXY_ENROLLMENT_FILE": str(out)}
    args = [
        "--assertion-env",
        "CHALLENGE",
        "--assertion-header",
        HEADER,
        "--issuer",
        ISSUER,
        "--audience",
        AUDIENCE,
        "--jwks-url",
        jwks_url,
        "--now",
        str(NOW),
    ]
    code, text = enroll([*args, "--yes"], env, stdin="")
    assert code == 0, text
    assert out.exists()


@pytest.mark.parametrize(
    ("extra", "token", "exit_code", "failed"),
    [
        (["--issuer", "https://other.example"], TOKEN, 1, "issuer"),
        (["--audience", "other"], TOKEN, 1, "audience"),
        ([], make_key("ES256", "key-1").sign(claims()), 1, "assertion_signature"),
        ([], KEY.sign(claims(iat=NOW - 7200, exp=NOW - 3600)), 1, "fresh"),
        (
            [],
            KEY.sign(claims(), {"alg": "ES256", "kid": "key-1", "jku": "https://attacker.test/"}),
            1,
            "no_embedded_keys",
        ),
    ],
)
def test_a_failed_check_exits_1_and_writes_nothing(
    jwks_url: str, tmp_path: Path, extra: list[str], token: str, exit_code: int, failed: str
) -> None:
    out = tmp_path / "enrollment.json"
    code, text = enroll([*_flags(jwks_url, out), *extra, "--yes"], stdin=token)
    assert code == exit_code
    body = json.loads(text)
    assert body["ok"] is False
    assert body["written"] is False
    assert [check["id"] for check in body["checks"] if check["result"] == "fail"] == [failed]
    assert token not in text
    assert not out.exists()


def test_an_unreachable_key_set_exits_3(jwks_url: str, tmp_path: Path) -> None:
    out = tmp_path / "enrollment.json"
    code, text = enroll([*_flags(jwks_url.replace("jwks.json", "absent.json"), out), "--yes"])
    assert code == 3
    checks = {check["id"]: check for check in json.loads(text)["checks"]}
    assert checks["keys_reachable"]["detail"] == "HTTP status 404"
    assert not out.exists()


def test_a_configuration_the_runtime_refuses_exits_2_and_withholds_the_settings(tmp_path: Path) -> None:
    out = tmp_path / "enrollment.json"
    args = ["--assertion", "-", "--assertion-header", HEADER, "--out", str(out), "--now", str(NOW)]
    code, text = enroll([*args, "--jwks-url", "http://keys.test/jwks.json", "--yes"])
    assert code == 2, text
    body: dict[str, Any] = json.loads(text)
    assert [check["id"] for check in body["checks"] if check["result"] == "fail"] == [
        "key_url_secure",
        "configuration_valid",
    ]
    assert set(body["settings"].values()) == {None}
    assert not out.exists()


def test_without_yes_and_without_a_terminal_nothing_is_written_exit_2(jwks_url: str, tmp_path: Path) -> None:
    out = tmp_path / "enrollment.json"
    code, text = enroll(_flags(jwks_url, out))
    assert code == 2
    assert json.loads(text)["written"] is False
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--assertion", "token"], "--assertion takes -"),
        (["--assertion", "-", "--assertion-env", "X"], "give either --assertion - or --assertion-env, not both"),
        (["--assertion", "-", "--discovery", "--jwks-url", "https://keys.test/"], "give either --jwks-url"),
        (["--assertion", "-", "--now", "soon"], "--now must be a number"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    code, text = enroll([*args, "--out", str(tmp_path / "e.json"), "--yes"])
    assert code == 2, text
    assert message in json.loads(text)["error"]["problems"][0]["message"]


def test_without_out_or_assertion_is_a_usage_error(tmp_path: Path) -> None:
    code, text = enroll(["--assertion", "-", "--yes"])
    assert code == 2
    assert "--out" in json.loads(text)["error"]["problems"][0]["message"]
    code, text = enroll(["--out", str(tmp_path / "e.json"), "--yes"])
    assert code == 2


def test_a_terminal_shows_what_it_will_trust_and_asks(jwks_url: str, tmp_path: Path) -> None:
    out_path = tmp_path / "enrollment.json"
    env = {"CHALLENGE": TOKEN}

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for answer, written in (("n\n", False), ("y\n", True)):
        out = io.StringIO()
        args = [
            "enroll",
            "--assertion-env",
            "CHALLENGE",
            "--assertion-header",
            HEADER,
            "--issuer",
            ISSUER,
            "--audience",
            AUDIENCE,
            "--jwks-url",
            jwks_url,
        ]
        code = run(
            [*args, "--out", str(out_path), "--now", str(NOW)],
            env=env,
            stdin=Terminal(answer),
            stdout=out,
            is_terminal=True,
        )
        text = out.getvalue()
        assert code == (0 if written else 1)
        assert "About to trust:" in text
        assert "thumbprint" in text
        assert "Write the enrollment record" in text
        assert TOKEN not in text
        assert out_path.exists() is written
    os.unlink(out_path)


def test_empty_standard_input_is_a_usage_error(jwks_url: str, tmp_path: Path) -> None:
    code, text = enroll([*_flags(jwks_url, tmp_path / "e.json"), "--yes"], stdin="  \n")
    assert code == 2
    assert json.loads(text)["error"]["problems"][0]["message"] == "standard input held no assertion"


def test_an_assertion_that_is_not_a_jws_gets_every_check_reported(jwks_url: str, tmp_path: Path) -> None:
    code, text = enroll([*_flags(jwks_url, tmp_path / "e.json"), "--yes"], stdin="not-a-token")
    assert code == 1
    checks = {check["id"]: check["result"] for check in json.loads(text)["checks"]}
    assert checks["no_embedded_keys"] == "not_run"
    assert checks["assertion_signature"] == "fail"
    assert checks["keys_reachable"] == "pass"


def test_the_issuer_and_audience_are_never_taken_from_the_assertion(jwks_url: str, tmp_path: Path) -> None:
    args = ["--assertion", "-", "--assertion-header", HEADER, "--jwks-url", jwks_url, "--now", str(NOW)]
    code, text = enroll([*args, "--out", str(tmp_path / "e.json"), "--yes"])
    assert code == 2
    body = json.loads(text)
    assert "TRUSTED_PROXY_ISSUER" not in body["settings"]
    assert [check["id"] for check in body["checks"] if check["result"] == "fail"] == ["configuration_valid"]


def test_credentials_in_the_key_url_are_not_printed(jwks_url: str, tmp_path: Path) -> None:
    url = jwks_url.replace("http://", "http://user:pw@") + "?access_token=abc"
    code, text = enroll([*_flags(url, tmp_path / "e.json"), "--yes"])
    assert code == 0, text
    assert "pw@" not in text
    assert "access_token" not in text
    assert json.loads(text)["keySetUrl"] == jwks_url
