"""`trusted-proxy-auth verify --batch`: JSON Lines in, one result line per case out. The first test runs the
real process (stdin, stdout, exit code); the others call `run()` in this process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import HEADER, NOW, JwksResponse, base_env, claims, loopback_jwks_server, make_key

from trusted_proxy_auth.cli import run

KEY = make_key("ES256", "batch-key")
TOKEN = KEY.sign(claims(tenant="acme"))
SECRET_SEGMENT = TOKEN.split(".")[1]


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        yield base_env(f"{base}/jwks.json")


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.split("\n") if line]


def batch(args: list[str], env: dict[str, str], stdin: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(["verify", "--batch", *args], env=env, stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


def test_answers_every_line_in_order_and_exits_with_the_highest_code(env: dict[str, str]) -> None:
    trusted = {"TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1"}
    cases = [
        {"token": TOKEN, "now": NOW},
        None,  # a blank line is skipped
        {"token": TOKEN, "now": NOW + 3600},
        {"headers": [[HEADER.lower(), TOKEN]], "remoteAddress": "127.0.0.1", "now": NOW, "env": trusted},
        {"headers": [[HEADER.lower(), TOKEN]], "remoteAddress": "192.0.2.1", "now": NOW, "env": trusted},
    ]
    stdin = "".join(("" if case is None else json.dumps(case)) + "\n" for case in cases)
    completed = subprocess.run(
        [sys.executable, "-m", "trusted_proxy_auth", "verify", "--batch"],
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", **env},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    answers = _lines(completed.stdout)
    assert [answer["ok"] for answer in answers] == [True, False, True, False]
    assert answers[0]["identity"]["subject"] == "user-1"
    single = io.StringIO()
    run(["verify", TOKEN, "--now", str(NOW + 3600)], env=env, stdout=single)
    assert answers[1] == json.loads(single.getvalue()), "the same JSON as a single verify"
    assert answers[3]["error"]["code"] == "untrusted_source"
    assert completed.returncode == 1
    assert SECRET_SEGMENT not in completed.stdout


def test_exits_0_when_every_line_verified_and_flags_apply_to_every_line(env: dict[str, str]) -> None:
    stdin = f"{json.dumps({'token': TOKEN})}\r\n{json.dumps({'token': TOKEN, 'now': NOW + 10})}"
    code, out = batch(["--now", str(NOW)], env, stdin)
    assert code == 0
    assert [answer["ok"] for answer in _lines(out)] == [True, True]
    _, out = batch(["--now", str(NOW), "--audience", "other"], env, stdin)
    assert [answer["error"]["code"] for answer in _lines(out)] == ["audience_mismatch", "audience_mismatch"]


def test_a_lines_env_applies_to_that_line_only(env: dict[str, str]) -> None:
    stdin = "\n".join(
        [
            json.dumps({"token": TOKEN, "now": NOW, "env": {"TRUSTED_PROXY_AUDIENCE": "other"}}),
            json.dumps({"token": TOKEN, "now": NOW}),
        ]
    )
    _, out = batch([], env, stdin)
    assert [answer.get("error", {}).get("code", "ok") for answer in _lines(out)] == ["audience_mismatch", "ok"]


def test_malformed_lines_get_invalid_config_naming_the_line_never_echoing_it(env: dict[str, str]) -> None:
    lines = [
        f"not json {TOKEN}",
        json.dumps(["a list"]),
        json.dumps({"token": TOKEN, "tokn": TOKEN}),
        json.dumps({"token": TOKEN, "headers": [[HEADER, TOKEN]]}),
        json.dumps({"now": 1}),
        json.dumps({"token": TOKEN, "now": -1}),
        json.dumps({"token": TOKEN, "env": {"TRUSTED_PROXY_AUDIENCE": 7}}),
        json.dumps({"headers": [[HEADER]]}),
        '{"token": "x", "now": NaN}',
        json.dumps({"token": TOKEN, "now": True}),
        json.dumps({"token": TOKEN, "now": 10**400}),
        json.dumps({"token": TOKEN, "now": NOW}),
    ]
    code, out = batch([], env, "\n".join(lines))
    answers = _lines(out)
    assert len(answers) == len(lines)
    assert [answer["error"]["code"] for answer in answers[:-1]] == ["invalid_config"] * (len(lines) - 1)
    assert {answer["error"]["problems"][0]["variable"] for answer in answers[:-1]} == {"arguments"}
    assert answers[0]["error"]["problems"][0]["message"] == "line 1 of standard input is not JSON"
    assert 'unknown member "tokn"' in answers[2]["error"]["problems"][0]["message"]
    assert answers[-1]["ok"] is True
    assert code == 2
    assert SECRET_SEGMENT not in out


def test_a_token_or_header_beside_batch_is_a_usage_error_and_empty_input_answers_nothing(
    env: dict[str, str],
) -> None:
    code, out = batch([TOKEN], env, "")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "invalid_config"
    assert batch(["--header", f"{HEADER}: {TOKEN}"], env, "")[0] == 2
    assert batch([], env, "\n\n") == (0, "")


def test_help_documents_the_batch_format() -> None:
    out = io.StringIO()
    assert run(["verify", "--help"], env={}, stdout=out) == 0
    assert "--batch" in out.getvalue()
    assert "JSON Lines" in out.getvalue()
