from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import base_env

from trusted_proxy_auth import TrustedProxyAuthError, load_config


def problems(env: dict[str, str], **overrides: object) -> dict[str, str]:
    with pytest.raises(TrustedProxyAuthError) as raised:
        load_config(env, **overrides)
    assert raised.value.code == "invalid_config"
    assert raised.value.status == 500
    assert raised.value.problems is not None
    return {problem.variable: problem.message for problem in raised.value.problems}


def test_defaults_come_from_the_contract() -> None:
    config = load_config(base_env())
    assert config.clock_tolerance == 60
    assert config.jwks_timeout == 5
    assert config.mode == "required"
    assert config.max_age is None
    assert "EdDSA" in config.algorithms
    assert "HS256" not in config.algorithms


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        {
            "TRUSTED_PROXY_ALGORITHMS": "HS256,none,ES256,XX1",
            "TRUSTED_PROXY_JWKS_URL": "http://example.com/jwks",
            "TRUSTED_PROXY_CLOCK_TOLERANCE": "601",
            "TRUSTED_PROXY_MAX_AGE": "1.5",
            "TRUSTED_PROXY_MODE": "sometimes",
            "TRUSTED_PROXY_TRUSTED_ADDRESSES": "10.0.0.0/33,nope",
            "TRUSTED_PROXY_TYPO": "1",
            "TRUSTED_PROXY_ASSERTION_HEADER": "bad header",
            "TRUSTED_PROXY_CLAIM_EMAIL": " ",
            "TRUSTED_PROXY_REQUIRED_HEADERS": "Bad Name=1",
            "TRUSTED_PROXY_JWKS_TIMEOUT": "0.05",
        }
    )
    assert found == {
        "TRUSTED_PROXY_ALGORITHMS": "entry 4 is not a supported algorithm",
        "TRUSTED_PROXY_JWKS_URL": "must use https (plain http only for loopback hosts)",
        "TRUSTED_PROXY_CLOCK_TOLERANCE": "must be between 0 and 600",
        "TRUSTED_PROXY_MAX_AGE": "must be a whole number",
        "TRUSTED_PROXY_MODE": "must be one of required, optional",
        "TRUSTED_PROXY_TRUSTED_ADDRESSES": "has an invalid address or CIDR range (entry 2)",
        "TRUSTED_PROXY_TYPO": "is not a known setting",
        "TRUSTED_PROXY_ASSERTION_HEADER": "must be a valid HTTP header name",
        "TRUSTED_PROXY_CLAIM_EMAIL": "must not be empty",
        "TRUSTED_PROXY_REQUIRED_HEADERS": "has an invalid entry (entry 1)",
        "TRUSTED_PROXY_JWKS_TIMEOUT": "must be between 0.1 and 60",
        "TRUSTED_PROXY_ISSUER": "is required",
        "TRUSTED_PROXY_AUDIENCE": "is required",
    }


def test_lists_trim_and_drop_empty_items() -> None:
    config = load_config(base_env(TRUSTED_PROXY_ISSUER=" a ,, b,", TRUSTED_PROXY_REQUIRED_CLAIMS="tenant = acme ,x"))
    assert config.issuer == ("a", "b")
    assert [(rule.name, rule.value) for rule in config.required_claims] == [("tenant", "acme"), ("x", None)]
    assert problems(base_env(TRUSTED_PROXY_ISSUER=" , "))["TRUSTED_PROXY_ISSUER"] == "is required"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://auth.example.com/jwks", True),
        ("http://127.0.0.1:8080/jwks", True),
        ("http://127.9.9.9/jwks", True),
        ("http://[::1]:8080/jwks", True),
        ("http://localhost/jwks", True),
        ("http://LOCALHOST/jwks", True),
        ("http://10.0.0.1/jwks", False),
        ("ftp://auth.example.com/jwks", False),
        ("file:///etc/passwd", False),
        ("jwks.json", False),
    ],
)
def test_key_url_must_be_https_except_loopback(url: str, ok: bool) -> None:
    if ok:
        assert load_config(base_env(url)).jwks_url == url
    else:
        assert "TRUSTED_PROXY_JWKS_URL" in problems(base_env(url))


def test_overrides_win_and_use_snake_case_names() -> None:
    config = load_config(
        base_env(),
        issuer=["x", "y"],
        clock_tolerance=30.0,
        max_age=120,
        mode="optional",
        trusted_addresses=("10.0.0.0/8",),
        jwks_timeout=2.5,
    )
    assert config.issuer == ("x", "y")
    assert config.clock_tolerance == 30
    assert config.max_age == 120
    assert config.mode == "optional"
    assert config.jwks_timeout == 2.5
    assert len(config.trusted_addresses) == 1
    assert problems(base_env(), clockTolerance=5) == {"clockTolerance": "is not a known option"}


def test_config_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"TRUSTED_PROXY_ISSUER": ["f1", "f2"], "TRUSTED_PROXY_CLOCK_TOLERANCE": 10}))
    env = base_env(TRUSTED_PROXY_CONFIG_FILE=str(path))
    del env["TRUSTED_PROXY_ISSUER"]
    config = load_config(env)
    assert config.issuer == ("f1", "f2")
    assert config.clock_tolerance == 10
    assert load_config({**env, "TRUSTED_PROXY_CLOCK_TOLERANCE": "20"}).clock_tolerance == 20
    path.write_text("[1]")
    assert problems(env)["TRUSTED_PROXY_CONFIG_FILE"] == "must hold a JSON object"
    path.write_text("{nope")
    assert problems(env)["TRUSTED_PROXY_CONFIG_FILE"] == "cannot be read as a JSON file"
    path.write_text(json.dumps({"TRUSTED_PROXY_NOPE": "1"}))
    assert problems(env)["TRUSTED_PROXY_NOPE"] == "is not a known setting (in TRUSTED_PROXY_CONFIG_FILE)"


def test_unknown_preset_is_a_problem() -> None:
    assert problems(base_env(TRUSTED_PROXY_PRESET="nope"))["TRUSTED_PROXY_PRESET"].startswith(
        "is not a known preset (known: "
    )


def test_environment_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in base_env().items():
        monkeypatch.setenv(name, value)
    assert load_config().assertion_header == "X-Assertion"
