"""No output may contain the token (issue 9, item 7).

Every argument and configuration error of both command lines (real processes, the same cases for the Python and
the TypeScript CLI, whose answers must be identical) and every rejection code (each vector through the CLI's
`run()`, and through the library with events, logs and the problem body captured) is searched for the token and
each of its segments.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, JwksResponse, ManualScheduler, base_env, claims, loopback_jwks_server, make_key
from vectors import (
    MOCK_JWKS_URL,
    MOCK_KEYS_BASE,
    NODE_CLI,
    PYTHON_CLI,
    TS_CLI,
    ServedUrls,
    Vector,
    cli_arguments,
    load_vectors,
    mock_transports,
)

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, error_codes, load_config
from trusted_proxy_auth.cli import run
from trusted_proxy_auth.problem_details import to_problem_details

KEY = make_key("ES256", "no-leak")
TOKEN = KEY.sign(claims())
#: Shorter strings may occur in any output by chance; every segment of a real assertion is longer.
MIN_FRAGMENT = 16
#: Codes no vector can produce through verification: configuration errors are driven by the cases below.
# not_enrolled is answered before any assertion is read (contract/enrollment.json): no vector carries one.
NOT_FROM_VECTORS = {"invalid_config", "not_enrolled"}


def fragments(token: str) -> list[str]:
    """The token, its signing input and each of its segments: none may appear in any output."""
    parts = token.split(".")
    candidates = [token, ".".join(parts[:2]), *parts]
    return [candidate for candidate in dict.fromkeys(candidates) if len(candidate) >= MIN_FRAGMENT]


def assert_no_fragment(text: str, secrets: list[str], where: str) -> None:
    leaked = [secret[:12] + "..." for secret in secrets if secret in text]
    assert not leaked, f"{where} contains token material {leaked}"


@dataclass(frozen=True)
class Case:
    name: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    stdin: str = ""
    #: A configuration file written for the case, holding this text.
    config_file: str | None = None


def argument_cases(token: str) -> list[Case]:
    """Every kind of argument error, each with the token where a user could put it by mistake."""
    return [
        Case("repeated token", ["verify", token, token]),
        Case("token after --", ["verify", "--", token, token]),
        Case("token as a long option", ["verify", f"--{token}"]),
        Case("token as a short option", ["verify", f"-{token}"]),
        Case("unknown option", ["verify", token, "--bogus"]),
        Case("unknown option with the token as value", ["verify", "--bogus", token]),
        Case("unknown option before the command", [f"--{token}", "verify"]),
        Case("token as the command", [token]),
        Case("token before the command", [token, "verify"]),
        Case("help as a command", ["help"]),
        Case("token after help", ["help", token]),
        Case("option without its value", ["verify", token, "--issuer"]),
        Case("--now without its value", ["verify", "--now"]),
        Case("bad --now", ["verify", "--now", token, token]),
        Case("bad --now=", ["verify", f"--now={token}", token]),
        Case("bad --header", ["verify", "--header", token]),
        Case("bad --header with an empty name", ["verify", "--header", f": {token}"]),
        Case("token and --header", ["verify", token, "--header", f"X-Assertion: {token}"]),
        Case("token and --remote-address", ["verify", "--remote-address", token, token]),
        Case("no token", ["verify"]),
        Case("token from stdin and an extra argument", ["verify", "-", token], stdin=token),
    ]


def config_cases(token: str) -> list[Case]:
    """Configuration errors with the token in the place of a setting (a misplaced copy-paste)."""
    now = ["--now", str(NOW)]
    return [
        Case("algorithms flag", ["verify", token, *now, "--algorithms", token]),
        Case("algorithms variable", ["verify", token, *now], env={"TRUSTED_PROXY_ALGORITHMS": f"HS256,{token}"}),
        Case("key set URL", ["verify", token, *now, "--jwks-url", token]),
        Case("key set URL with the token in it", ["verify", token, *now, "--jwks-url", f"http://example.com/{token}"]),
        Case("configuration file path", ["verify", token, *now, "--config-file", f"/nonexistent/{token}"]),
        Case(
            "trusted addresses", ["verify", token, *now], env={"TRUSTED_PROXY_TRUSTED_ADDRESSES": f"10.0.0.1,{token}"}
        ),
        Case("preset", ["verify", token, *now], env={"TRUSTED_PROXY_PRESET": token}),
        Case("required headers", ["verify", token, *now], env={"TRUSTED_PROXY_REQUIRED_HEADERS": f"{token} x=1"}),
        Case("required claims", ["verify", token, *now, "--require-claim", f"={token}"]),
        Case("whole number", ["verify", token, *now], env={"TRUSTED_PROXY_MAX_AGE": token}),
        Case("mode", ["verify", token, *now], env={"TRUSTED_PROXY_MODE": token}),
        Case("assertion header", ["verify", token, *now], env={"TRUSTED_PROXY_ASSERTION_HEADER": f"{token} x"}),
        Case("missing settings", ["verify", token, *now], env={"TRUSTED_PROXY_ISSUER": ""}),
        Case("file that is not JSON", ["verify", token, *now], config_file=token),
        Case("file setting", ["verify", token, *now], config_file=json.dumps({"TRUSTED_PROXY_ALGORITHMS": token})),
    ]


@pytest.fixture(scope="module")
def served_env() -> Iterator[dict[str, str]]:
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        yield base_env(f"{base}/jwks.json")


def _case_env(case: Case, env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    full_env = {**env, **case.env}
    if case.config_file is not None:
        path = tmp_path / f"{abs(hash(case.name))}.json"
        path.write_text(case.config_file, encoding="utf-8")
        full_env["TRUSTED_PROXY_CONFIG_FILE"] = str(path)
    return full_env


def run_node(case: Case, env: dict[str, str]) -> tuple[int, str, str]:
    """The TypeScript CLI as a real process."""
    completed = subprocess.run(
        [*NODE_CLI, *case.args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        input=case.stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    return completed.returncode, completed.stdout, completed.stderr


def run_python(case: Case, env: dict[str, str]) -> tuple[int, str, str]:
    """The Python CLI's `run()`, which `python -m trusted_proxy_auth` calls (in-process: one interpreter start
    per case for every case would cost seconds; the reported reproduction runs as a process below)."""
    out, err = io.StringIO(), io.StringIO()
    code = run(case.args, env=env, stdin=io.StringIO(case.stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_reported_reproduction_as_a_process(served_env: dict[str, str]) -> None:
    completed = subprocess.run(
        [*PYTHON_CLI, "verify", TOKEN, TOKEN],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONIOENCODING": "utf-8", **served_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert_no_fragment(completed.stdout + completed.stderr, fragments(TOKEN), "python -m trusted_proxy_auth")


def test_argument_and_configuration_errors_never_echo_the_token_and_both_clis_answer_alike(
    served_env: dict[str, str], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert shutil.which("node"), "node is needed to compare both CLIs"
    assert TS_CLI.is_file(), f"{TS_CLI} is missing: build the TypeScript core first"
    secrets = fragments(TOKEN)
    cases = argument_cases(TOKEN) + config_cases(TOKEN)
    envs = {case.name: _case_env(case, served_env, tmp_path) for case in cases}
    with ThreadPoolExecutor(max_workers=4) as pool:
        node_results = list(pool.map(lambda case: run_node(case, envs[case.name]), cases))
    for case, node_result in zip(cases, node_results, strict=True):
        answers = {"python": run_python(case, envs[case.name]), "typescript": node_result}
        for language, (code, stdout, stderr) in answers.items():
            where = f"{language} CLI, {case.name}"
            assert_no_fragment(stdout + stderr, secrets, where)
            assert code == 2, f"{where}: exit {code}, stdout {stdout!r}"
            printed = json.loads(stdout)
            assert printed["ok"] is False, where
            assert printed["error"]["code"] == "invalid_config", where
            assert printed["error"]["problems"], where
            assert stderr == "", where
        assert json.loads(answers["python"][1]) == json.loads(answers["typescript"][1]), (
            f"the CLIs answer {case.name!r} differently"
        )
    captured = capfd.readouterr()
    assert_no_fragment(captured.out + captured.err, secrets, "process output")


def test_argument_errors_name_the_kind_of_mistake() -> None:
    # Helpful without quoting: the texts say what is wrong and where to look.
    messages = {}
    for case in argument_cases(TOKEN):
        out = io.StringIO()
        assert run(case.args, env={}, stdin=io.StringIO(case.stdin), stdout=out, stderr=io.StringIO()) == 2
        messages[case.name] = json.loads(out.getvalue())["error"]["problems"][0]["message"]
    assert messages["repeated token"] == "too many arguments: give one TOKEN, or - for standard input"
    assert messages["token as a long option"] == "unknown option (see trusted-proxy-auth verify --help)"
    assert messages["token as the command"] == "unknown command (see trusted-proxy-auth --help)"
    assert messages["--now without its value"] == "--now needs a value"
    assert messages["option without its value"] == "--issuer needs a value"


def _vectors_per_code() -> list[Vector]:
    """One vector with an assertion for every rejection code the vectors cover (the longest assertion)."""
    chosen: dict[str, Vector] = {}
    for vector in load_vectors():
        expected = vector.expected
        if expected["ok"]:
            continue
        secrets = _vector_secrets(vector)
        if not secrets:
            continue
        best = chosen.get(expected["code"])
        if best is None or len(secrets[0]) > len(_vector_secrets(best)[0]):
            chosen[expected["code"]] = vector
    return [chosen[code] for code in sorted(chosen)]


def _vector_secrets(vector: Vector) -> list[str]:
    data = vector.data
    tokens = [data["token"]] if isinstance(data.get("token"), str) else []
    if "request" in data:
        tokens += [value for _, value in data["request"]["headers"]]
    found: list[str] = []
    for token in tokens:
        found += fragments(token.removeprefix("Bearer "))
    return sorted(dict.fromkeys(found), key=len, reverse=True)


VECTORS_PER_CODE = _vectors_per_code()


def test_the_vectors_reach_every_rejection_code() -> None:
    covered = {vector.expected["code"] for vector in VECTORS_PER_CODE}
    assert covered | NOT_FROM_VECTORS >= set(error_codes()) - {"missing_assertion"}, (
        f"no vector with an assertion for {sorted(set(error_codes()) - covered - NOT_FROM_VECTORS)}"
    )


def _rejection(auth: TrustedProxyAuth, vector: Vector) -> TrustedProxyAuthError:
    data = vector.data
    try:
        if "request" in data:
            request = data["request"]
            headers = [(name, value) for name, value in request["headers"]]
            auth.verify_request(headers, request.get("remoteAddress"), now=data["now"])
        else:
            auth.verify_assertion(data["token"], now=data["now"])
    except TrustedProxyAuthError as error:
        return error
    raise AssertionError(f"{vector.id} was not rejected")


@pytest.mark.parametrize("vector", VECTORS_PER_CODE, ids=[vector.expected["code"] for vector in VECTORS_PER_CODE])
def test_every_rejection_leaves_no_token_in_cli_output_events_logs_or_problem(
    vector: Vector,
    served_vector_urls: dict[str, ServedUrls],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    secrets = _vector_secrets(vector)
    caplog.set_level(logging.DEBUG)
    urls = served_vector_urls[vector.id]
    out, err = io.StringIO(), io.StringIO()
    code = run(cli_arguments(vector), env=vector.env(urls.jwks_url, urls.keys_base), stdout=out, stderr=err)
    assert json.loads(out.getvalue())["error"]["code"] == vector.expected["code"]
    assert code == (3 if vector.expected["code"] == "jwks_unavailable" else 1)

    events: list[dict[str, Any]] = []
    transport, async_transport = mock_transports(vector)
    auth = TrustedProxyAuth(
        load_config(vector.env(MOCK_JWKS_URL, MOCK_KEYS_BASE)),
        transport=transport,
        async_transport=async_transport,
        scheduler=ManualScheduler(),
        on_event=events.append,
    )
    error = _rejection(auth, vector)
    problem = to_problem_details(error, "/path")
    logging.getLogger("app").exception("request rejected", exc_info=error)
    captured = capfd.readouterr()
    searched = {
        "CLI stdout": out.getvalue(),
        "CLI stderr": err.getvalue(),
        "events": json.dumps(events, default=repr),
        "logs": caplog.text,
        "problem body": json.dumps(problem.body) + json.dumps(problem.headers),
        "error": f"{error} {error!r} {json.dumps(error.to_dict())}",
        "traceback with causes": "".join(traceback.format_exception(error)),
        "process output": captured.out + captured.err,
    }
    for where, text in searched.items():
        assert_no_fragment(text, secrets, f"{vector.id}: {where}")
