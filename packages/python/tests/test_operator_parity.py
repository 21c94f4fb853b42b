"""`verify` (CI use) and `doctor` of both command lines on the same configurations: identical JSON and exit
codes, and the verdict each scenario expects. Every key endpoint is a real loopback HTTP server."""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from helpers import AUDIENCE, NOW, JwksResponse, claims, loopback_jwks_server, make_key, private_jwk
from vectors import NODE_CLI, TS_CLI

from trusted_proxy_auth.cli import run

KEY = make_key("ES256", "op-key")
WEAK = make_key("RS256", "weak", rsa_bits=1024)
OTHER = make_key("ES256", "other-key")


@dataclass
class Scenario:
    args: list[str]
    env: dict[str, str]
    exit: int
    stdin: str = ""
    #: Finding ids the doctor must report, in order (doctor scenarios only).
    findings: list[str] = field(default_factory=list)
    #: A subset the verify JSON must contain.
    contains: dict[str, Any] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_python(scenario: Scenario) -> tuple[int, str]:
    """In this process (the console script itself is covered by test_cli.py): saves an interpreter start each."""
    out = io.StringIO()
    code = run(scenario.args, env=scenario.env, stdin=io.StringIO(scenario.stdin), stdout=out, is_terminal=False)
    return code, out.getvalue()


def _run_node(scenario: Scenario) -> tuple[int, str]:
    completed = subprocess.run(
        [*NODE_CLI, *scenario.args],
        env={"PATH": "/usr/bin:/bin", **scenario.env},
        input=scenario.stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return completed.returncode, completed.stdout


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, dict[str, JwksResponse]]]:
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of(KEY.public_jwk)
        routes["/mixed.json"] = JwksResponse.of(
            KEY.public_jwk, WEAK.public_jwk, {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}
        )
        routes["/private.json"] = JwksResponse.of(private_jwk(KEY))
        routes["/not-a-set.json"] = JwksResponse(body='{"hello":"world"}')
        routes["/gone.json"] = JwksResponse(status=404, body="")
        routes["/.well-known/openid-configuration"] = JwksResponse(
            body=json.dumps({"issuer": base, "jwks_uri": f"{base}/jwks.json"})
        )
        routes["/wrong/.well-known/openid-configuration"] = JwksResponse(
            body=json.dumps({"issuer": f"{base}/elsewhere", "jwks_uri": f"{base}/jwks.json"})
        )
        yield base, routes


def _scenarios(base: str) -> dict[str, Scenario]:
    env = {
        "TRUSTED_PROXY_ASSERTION_HEADER": "X-Assertion",
        "TRUSTED_PROXY_JWKS_URL": f"{base}/jwks.json",
        "TRUSTED_PROXY_ISSUER": base,
        "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
    }
    token = KEY.sign(claims(iss=base))
    expired = KEY.sign(claims(iss=base, exp=NOW - 600))
    unknown = OTHER.sign(claims(iss=base))
    now = ["--now", str(NOW)]
    no_header = {name: value for name, value in env.items() if name != "TRUSTED_PROXY_ASSERTION_HEADER"}
    discovery_env = {name: value for name, value in no_header.items() if name != "TRUSTED_PROXY_JWKS_URL"}
    refused = f"http://127.0.0.1:{_free_port()}/jwks.json"
    return {
        # verify for CI
        "verify ok, token from the environment": Scenario(
            ["verify", "--token-env", "ID_TOKEN", *now], {**env, "ID_TOKEN": token}, 0, contains={"ok": True}
        ),
        "verify a bare token needs no header setting": Scenario(["verify", token, *now], no_header, 0),
        "verify rejected": Scenario(["verify", "--token-env", "T", *now], {**env, "T": expired}, 1),
        "verify unknown key": Scenario(["verify", "--token-env", "T", *now], {**env, "T": unknown}, 1),
        "verify keys 404": Scenario(
            ["verify", "--token-env", "T", *now],
            {**env, "TRUSTED_PROXY_JWKS_URL": f"{base}/gone.json", "T": token},
            3,
            contains={"error": {"code": "jwks_unavailable", "detail": "HTTP status 404"}},
        ),
        "verify keys refused": Scenario(
            ["verify", "--token-env", "T", *now], {**env, "TRUSTED_PROXY_JWKS_URL": refused, "T": token}, 3
        ),
        "verify --discover": Scenario(
            ["verify", "--discover", "--token-env", "T", *now], {**discovery_env, "T": token}, 0
        ),
        "verify --discover, the document names another issuer": Scenario(
            ["verify", "--discover", "--issuer", f"{base}/wrong", "--token-env", "T", *now],
            {**discovery_env, "T": KEY.sign(claims(iss=f"{base}/wrong"))},
            3,
            contains={
                "error": {
                    "code": "jwks_unavailable",
                    "detail": f'discovery issuer differs: expected "{base}/wrong", received "{base}/elsewhere"',
                }
            },
        ),
        "verify --discover with a key URL": Scenario(["verify", "--discover", token, *now], no_header, 2),
        "verify without key URL over http is not discovered": Scenario(["verify", token, *now], discovery_env, 2),
        "verify --preset oauth2-proxy": Scenario(
            ["verify", "--preset", "oauth2-proxy", "--token-env", "T", *now], {**discovery_env, "T": token}, 0
        ),
        "verify --preset unknown": Scenario(["verify", "--preset", "nope", token, *now], env, 2),
        "verify --token-env unset": Scenario(["verify", "--token-env", "MISSING", *now], env, 2),
        "verify --token-env and a token": Scenario(["verify", "--token-env", "T", token], {**env, "T": token}, 2),
        "verify --json": Scenario(["verify", "--json", "--token-env", "T", *now], {**env, "T": token}, 0),
        # doctor
        "doctor nothing configured": Scenario(
            ["doctor", "--json"],
            {},
            1,
            findings=["config_invalid", "config_invalid", "issuer_missing", "audience_missing"],
        ),
        "doctor healthy": Scenario(
            ["doctor", "--json"],
            {**env, "TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1", "TRUSTED_PROXY_ALGORITHMS": "ES256"},
            0,
            findings=["keys_ok"],
        ),
        "doctor default allow-list": Scenario(
            ["doctor", "--json"], env, 0, findings=["no_trusted_addresses", "algorithms_without_key", "keys_ok"]
        ),
        "doctor risky static settings": Scenario(
            ["doctor", "--json", "--no-live"],
            {
                **env,
                "TRUSTED_PROXY_ASSERTION_HEADER": "x-forwarded-user",
                "TRUSTED_PROXY_TRUSTED_ADDRESSES": "10.0.0.0/0,::/0,127.0.0.1",
                "TRUSTED_PROXY_CLOCK_TOLERANCE": "600",
                "TRUSTED_PROXY_MODE": "optional",
            },
            1,
            findings=[
                "unsigned_identity_header",
                "trusted_addresses_everything",
                "trusted_addresses_everything",
                "clock_tolerance_large",
            ],
        ),
        "doctor assertion in the Cookie header": Scenario(
            ["doctor", "--json", "--no-live"],
            {**env, "TRUSTED_PROXY_ASSERTION_HEADER": "Cookie", "TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1"},
            1,
            findings=["assertion_header_cookie"],
        ),
        "doctor assertion in Authorization": Scenario(
            ["doctor", "--json", "--no-live"],
            {**env, "TRUSTED_PROXY_ASSERTION_HEADER": "authorization", "TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1"},
            0,
            findings=["assertion_header_authorization"],
        ),
        "doctor Grafana's unsigned header": Scenario(
            ["doctor", "--json", "--no-live"],
            {**env, "TRUSTED_PROXY_ASSERTION_HEADER": "X-WEBAUTH-USER", "TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1"},
            1,
            findings=["unsigned_identity_header"],
        ),
        "doctor Apache's X-Remote-User": Scenario(
            ["doctor", "--json", "--no-live"],
            {**env, "TRUSTED_PROXY_ASSERTION_HEADER": "x-remote-user", "TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1"},
            1,
            findings=["unsigned_identity_header"],
        ),
        # A subject is unique only within its issuer: an allow-list of users across several issuers is flagged,
        # whether the issuers have keys of their own or share one key source; with one issuer it is not.
        "doctor allowed users with several issuer entries": Scenario(
            ["doctor", "--json", "--no-live"],
            {
                "TRUSTED_PROXY_ASSERTION_HEADER": "X-Assertion",
                "TRUSTED_PROXY_ISSUERS": json.dumps(
                    [
                        {"issuer": base, "jwks_url": f"{base}/jwks.json"},
                        {"issuer": f"{base}/b", "jwks_url": f"{base}/b.json"},
                    ]
                ),
                "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
                "TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1",
                "TRUSTED_PROXY_ALLOWED_USERS": "user-1",
            },
            0,
            findings=["allowed_users_several_issuers"],
        ),
        "doctor allowed users with several issuers sharing keys": Scenario(
            ["doctor", "--json", "--no-live"],
            {
                **env,
                "TRUSTED_PROXY_ISSUER": f"{base},{base}/b",
                "TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1",
                "TRUSTED_PROXY_ALLOWED_USERS": "user-1",
            },
            0,
            findings=["allowed_users_several_issuers"],
        ),
        "doctor allowed users with one issuer": Scenario(
            ["doctor", "--json", "--no-live"],
            {**env, "TRUSTED_PROXY_TRUSTED_ADDRESSES": "127.0.0.1", "TRUSTED_PROXY_ALLOWED_USERS": "user-1"},
            0,
            findings=[],
        ),
        "doctor optional mode without trusted addresses": Scenario(
            ["doctor", "--json", "--no-live"],
            {**env, "TRUSTED_PROXY_MODE": "optional"},
            0,
            findings=["optional_without_trusted_addresses"],
        ),
        "doctor keys 404": Scenario(
            ["doctor", "--json"],
            {**env, "TRUSTED_PROXY_JWKS_URL": f"{base}/gone.json"},
            1,
            findings=["no_trusted_addresses", "keys_unreachable"],
        ),
        "doctor keys refused": Scenario(
            ["doctor", "--json"],
            {**env, "TRUSTED_PROXY_JWKS_URL": refused},
            1,
            findings=["no_trusted_addresses", "keys_unreachable"],
        ),
        "doctor not a key set": Scenario(
            ["doctor", "--json"],
            {**env, "TRUSTED_PROXY_JWKS_URL": f"{base}/not-a-set.json"},
            1,
            findings=["no_trusted_addresses", "keys_not_a_key_set"],
        ),
        "doctor weak, symmetric and good keys": Scenario(
            ["doctor", "--json"],
            {**env, "TRUSTED_PROXY_JWKS_URL": f"{base}/mixed.json", "TRUSTED_PROXY_ALGORITHMS": "RS256,ES256"},
            0,
            findings=["no_trusted_addresses", "key_weak", "key_unusable", "algorithms_without_key", "keys_ok"],
        ),
        "doctor private key published": Scenario(
            ["doctor", "--json"],
            {**env, "TRUSTED_PROXY_JWKS_URL": f"{base}/private.json"},
            1,
            findings=["no_trusted_addresses", "key_private_material", "no_usable_keys"],
        ),
        "doctor no key fits the allow-list": Scenario(
            ["doctor", "--json"],
            {**env, "TRUSTED_PROXY_ALGORITHMS": "RS256"},
            1,
            findings=["no_trusted_addresses", "no_key_for_algorithms"],
        ),
        "doctor discovery issuer differs": Scenario(
            ["doctor", "--json", "--discover"],
            {**discovery_env, "TRUSTED_PROXY_ASSERTION_HEADER": "X-Assertion", "TRUSTED_PROXY_ISSUER": f"{base}/wrong"},
            1,
            findings=["no_trusted_addresses", "discovery_issuer_mismatch"],
        ),
        "doctor assertion verified": Scenario(
            ["doctor", "--json", "--assertion", "-", *now],
            {**env, "TRUSTED_PROXY_ALGORITHMS": "ES256"},
            0,
            stdin=token + "\n",
            findings=["no_trusted_addresses", "keys_ok", "assertion_verified"],
        ),
        "doctor assertion rejected": Scenario(
            ["doctor", "--json", "--assertion", "-", *now],
            {**env, "TRUSTED_PROXY_ALGORITHMS": "ES256"},
            1,
            stdin=expired + "\n",
            findings=["no_trusted_addresses", "keys_ok", "assertion_rejected"],
        ),
        "doctor shared secret": Scenario(
            ["doctor", "--json", "--preset", "authentik"],
            {
                "TRUSTED_PROXY_ISSUER": base,
                "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
                "TRUSTED_PROXY_SHARED_SECRET": "a-client-secret-of-at-least-32-bytes-long",
            },
            0,
            findings=["no_trusted_addresses", "shared_secret", "keys_not_fetched"],
        ),
        "doctor --assertion takes only -": Scenario(["doctor", "--json", "--assertion", token], env, 2),
    }


def test_both_command_lines_print_the_same_json_and_exit_codes(
    server: tuple[str, dict[str, JwksResponse]],
) -> None:
    assert shutil.which("node"), "node is needed for the parity test"
    assert TS_CLI.is_file(), f"{TS_CLI} is missing: build the TypeScript core first"
    base, _ = server
    scenarios = _scenarios(base)
    with ThreadPoolExecutor(max_workers=2) as pool:
        node_results = dict(zip(scenarios, pool.map(_run_node, scenarios.values()), strict=True))
    differences: dict[str, Any] = {}
    for name, scenario in scenarios.items():
        python_exit, python_out = _run_python(scenario)
        node_exit, node_out = node_results[name]
        python_json, node_json = json.loads(python_out), json.loads(node_out)
        if (python_exit, python_json) != (node_exit, node_json):
            differences[name] = {"python": [python_exit, python_json], "typescript": [node_exit, node_json]}
        assert python_exit == scenario.exit, f"{name}: exit {python_exit}, expected {scenario.exit}: {python_out}"
        if scenario.findings or (scenario.args[0] == "doctor" and scenario.exit != 2):
            assert [item["id"] for item in python_json["findings"]] == scenario.findings, name
        for key, expected in scenario.contains.items():
            actual = python_json[key]
            if isinstance(expected, dict):
                assert {k: actual.get(k) for k in expected} == expected, f"{name}: {actual}"
            else:
                assert actual == expected, name
        for secret in (scenario.env.get("T"), scenario.env.get("ID_TOKEN"), scenario.stdin.strip() or None):
            if secret:
                assert secret.split(".")[1] not in python_out + node_out, f"{name} printed the token"
    assert differences == {}, json.dumps(differences, indent=1)[:6000]
