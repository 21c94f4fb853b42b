"""The command line, run as a real process against a loopback key endpoint."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import HEADER, NOW, JwksResponse, base_env, claims, loopback_jwks_server, make_key

from trusted_proxy_auth.cli import run

KEY = make_key("ES256", "cli-key")
TOKEN = KEY.sign(claims(tenant="acme"))


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        yield base_env(f"{base}/jwks.json")


def cli(args: list[str], env: dict[str, str], stdin: str = "", *, script: bool = False) -> tuple[int, str]:
    command = (
        [str(Path(sys.executable).parent / "trusted-proxy-auth")]
        if script
        else [sys.executable, "-m", "trusted_proxy_auth"]
    )
    completed = subprocess.run(
        [*command, *args],
        env={"PATH": "/usr/bin:/bin", **env},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.returncode, completed.stdout


def test_prints_the_identity_and_exits_0(env: dict[str, str]) -> None:
    code, out = cli(["verify", TOKEN, "--now", str(NOW)], env)
    assert code == 0
    printed = json.loads(out)
    assert printed["ok"] is True
    assert printed["identity"]["subject"] == "user-1"
    assert out.count("\n") == 1


def test_console_script_reads_the_token_from_stdin(env: dict[str, str]) -> None:
    code, out = cli(["verify", "-", "--now", str(NOW)], env, stdin=f"{TOKEN}\n", script=True)
    assert code == 0
    assert json.loads(out)["identity"]["email"] == "ann@example.com"


def test_rejection_exits_1_with_the_contract_error_and_never_prints_the_token(env: dict[str, str]) -> None:
    code, out = cli(["verify", TOKEN, "--now", str(NOW + 3600)], env)
    assert code == 1
    assert json.loads(out) == {
        "ok": False,
        "error": {
            "code": "expired",
            "status": 401,
            "message": "the identity assertion has expired",
            "detail": f"exp {NOW + 300} is not after now {NOW + 3600} - tolerance 60 s",
        },
    }
    assert TOKEN.split(".")[1] not in out


def test_flags_override_the_environment(env: dict[str, str]) -> None:
    _, out = cli(["verify", TOKEN, "--now", str(NOW), "--audience", "other"], env)
    assert json.loads(out)["error"]["code"] == "audience_mismatch"
    _, out = cli(["verify", TOKEN, "--now", str(NOW), "--require-claim", "tenant=globex"], env)
    assert json.loads(out)["error"]["code"] == "claim_mismatch"
    _, out = cli(["verify", TOKEN, "--now", str(NOW), "--require-claim", "x", "--require-claim", "tenant=acme"], env)
    assert json.loads(out)["error"]["code"] == "missing_claim"


def test_verifies_a_request_with_headers_and_peer(env: dict[str, str]) -> None:
    trusted = {**env, "TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1"}
    args = ["verify", "--header", f"{HEADER.lower()}: {TOKEN}", "--now", str(NOW)]
    code, out = cli([*args, "--remote-address", "::ffff:127.0.0.1"], trusted)
    assert code == 0
    assert json.loads(out)["identity"]["subject"] == "user-1"
    _, out = cli([*args, "--remote-address", "192.0.2.1"], trusted)
    assert json.loads(out)["error"]["code"] == "untrusted_source"


def test_configuration_problems_exit_2_listing_every_problem() -> None:
    code, out = cli(
        ["verify", TOKEN], {"TRUSTED_PROXY_ALGORITHMS": "HS256", "TRUSTED_PROXY_JWKS_URL": "http://example.com/j"}
    )
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "invalid_config"
    assert error["status"] == 500
    variables = {problem["variable"] for problem in error["problems"]}
    assert {"TRUSTED_PROXY_ALGORITHMS", "TRUSTED_PROXY_JWKS_URL", "TRUSTED_PROXY_ISSUER"} <= variables


@pytest.mark.parametrize(
    "args",
    [
        ["verify"],
        ["verify", "--unknown-flag", "x"],
        ["verify", "--now", "soon", "t"],
        ["verify", "--header", "no-colon"],
        ["verify", "t", "--header", "a: b"],
        ["verify", "a", "b"],
        ["frobnicate"],
        ["verify", "--aud", "x", "t"],
    ],
)
def test_usage_errors_exit_2_with_json(args: list[str], env: dict[str, str]) -> None:
    out = io.StringIO()
    assert run(args, env=env, stdout=out) == 2
    error = json.loads(out.getvalue())["error"]
    assert error["code"] == "invalid_config"
    assert error["problems"][0]["variable"] == "arguments"


def test_help_exits_0_and_no_arguments_exit_2() -> None:
    out = io.StringIO()
    assert run(["verify", "--help"], env={}, stdout=out) == 0
    assert "--require-claim" in out.getvalue()
    assert "TRUSTED_PROXY_ISSUER" in out.getvalue()
    empty = io.StringIO()
    assert run([], env={}, stdout=empty) == 2
    assert "verify" in empty.getvalue()


def test_jwks_unavailable_exits_3_with_the_cause() -> None:
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse(status=500, body="")
        code, out = cli(["verify", TOKEN, "--now", str(NOW)], base_env(f"{base}/jwks.json"))
    assert code == 3
    error = json.loads(out)["error"]
    assert {key: error[key] for key in ("code", "status", "message")} == {
        "code": "jwks_unavailable",
        "status": 503,
        "message": "the signing keys are not available right now",
    }
    assert "500" in error["detail"]


def test_console_script_is_installed() -> None:
    assert (Path(sys.executable).parent / "trusted-proxy-auth").exists() or shutil.which("trusted-proxy-auth")


def test_version_prints_the_package_version() -> None:
    out = io.StringIO()
    assert run(["--version"], env={}, stdout=out) == 0
    from trusted_proxy_auth import __version__

    assert out.getvalue() == f"trusted-proxy-auth {__version__}\n"


def test_a_terminal_gets_a_summary_and_never_the_token(env: dict[str, str]) -> None:
    out = io.StringIO()
    assert (
        run(["verify", "--token-env", "T", "--now", str(NOW)], env={**env, "T": TOKEN}, stdout=out, is_terminal=True)
        == 0
    )
    assert out.getvalue().startswith("verified\n  subject:   user-1\n")
    assert "  email:     ann@example.com (verified)\n" in out.getvalue()
    rejected = io.StringIO()
    code = run(["verify", TOKEN, "--now", str(NOW + 3600)], env=env, stdout=rejected, is_terminal=True)
    assert code == 1
    assert rejected.getvalue() == (
        "rejected: expired (401): the identity assertion has expired\n"
        f"  cause: exp {NOW + 300} is not after now {NOW + 3600} - tolerance 60 s\n"
    )
    forced = io.StringIO()
    run(["verify", "--json", TOKEN, "--now", str(NOW)], env=env, stdout=forced, is_terminal=True)
    assert json.loads(forced.getvalue())["ok"] is True
    assert TOKEN.split(".")[1] not in out.getvalue() + rejected.getvalue()


def test_a_terminal_sees_configuration_problems_and_key_failure_causes() -> None:
    out = io.StringIO()
    assert run(["verify", TOKEN], env={}, stdout=out, is_terminal=True) == 2
    assert out.getvalue().startswith("configuration error: invalid_config (500)")
    assert "  TRUSTED_PROXY_ISSUER: is required\n" in out.getvalue()
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse(status=404, body="")
        keys = io.StringIO()
        assert (
            run(["verify", TOKEN, "--now", str(NOW)], env=base_env(f"{base}/jwks.json"), stdout=keys, is_terminal=True)
            == 3
        )
    assert keys.getvalue().splitlines()[1] == "  cause: HTTP status 404"


def test_doctor_prints_findings_worst_first_on_a_terminal(env: dict[str, str]) -> None:
    out = io.StringIO()
    risky = {**env, "TRUSTED_PROXY_ASSERTION_HEADER": "Remote-User"}
    assert run(["doctor", "--no-live"], env=risky, stdout=out, is_terminal=True) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("CRITICAL unsigned_identity_header: ")
    assert lines[1] == "  detail: Remote-User"
    assert lines[-1] == "1 critical, 0 warning, 1 info"
