"""Option `issuers`, `jwksFile` and `jwks`: what the shared vectors cannot show (a key file changing on disk, remote
entries fetched only for their own issuer, the config file and keyword forms). Mirrors the core's
test/several-issuers-and-local-keys.test.ts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import AUDIENCE, HEADER, NOW, claims, make_key, private_jwk

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth._key_sources.local_key_store import KEY_FILE_CHECK_INTERVAL

A = "https://proxy-a.example"
B = "https://proxy-b.example"
KEY_A = make_key("ES256", "a-1")
KEY_B = make_key("ES256", "b-1")
BASE = {"TRUSTED_PROXY_ASSERTION_HEADER": HEADER, "TRUSTED_PROXY_AUDIENCE": AUDIENCE}


def _set(*keys: dict[str, Any]) -> dict[str, Any]:
    return {"keys": list(keys)}


def _replace(path: Path, text: str) -> None:
    """Writes a new file and renames it over `path`, as an operator replacing a key file should."""
    fresh = path.with_suffix(".new")
    fresh.write_text(text)
    os.replace(fresh, path)


def _outcome(work: Any) -> str:
    try:
        work()
    except TrustedProxyAuthError as error:
        return error.code if error.detail is None else f"{error.code}: {error.detail}"
    return "ok"


def _token(key: Any, iss: str, **extra: Any) -> str:
    return str(key.sign(claims(iss=iss, **extra)))


def test_key_file_is_reread_when_replaced_throttled_and_ends_remembered_verifications(tmp_path: Path) -> None:
    path = tmp_path / "rotating.json"
    _replace(path, json.dumps(_set(KEY_A.public_jwk)))
    clock = [float(NOW)]
    env = {**BASE, "TRUSTED_PROXY_ISSUER": A, "TRUSTED_PROXY_JWKS_FILE": str(path)}
    auth = TrustedProxyAuth(load_config(env), clock=lambda: clock[0])
    auth.ready()
    token = _token(KEY_A, A)
    # Taken in at the second success; the third is a hit.
    for _ in range(3):
        assert _outcome(lambda: auth.verify_assertion(token, now=NOW)) == "ok"
    assert auth.cache_counts().hits == 1

    _replace(path, json.dumps(_set(KEY_B.public_jwk)))
    clock[0] += KEY_FILE_CHECK_INTERVAL - 0.001
    assert _outcome(lambda: auth.verify_assertion(_token(KEY_A, A, jti="x"), now=NOW)) == "ok"
    clock[0] += 0.001
    assert _outcome(lambda: auth.verify_assertion(_token(KEY_A, A, jti="y"), now=NOW)).startswith("unknown_key")
    assert _outcome(lambda: auth.verify_assertion(token, now=NOW)).startswith("unknown_key")
    assert auth.status().fetch_count == 2
    auth.close()


@pytest.mark.parametrize(
    ("name", "text", "cause"),
    [
        ("missing.json", None, "not found"),
        ("not-json.json", '{"keys": [', "invalid JSON"),
        ("not-a-set.json", json.dumps(KEY_A.public_jwk), "not a JSON Web Key Set"),
        ("private.json", json.dumps(_set(private_jwk(KEY_A))), "key set publishes private key material"),
        ("too-large.json", " " * (1024 * 1024 + 1), "larger than 1048576 bytes"),
    ],
)
def test_bad_key_file_is_jwks_unavailable_naming_file_and_cause(
    tmp_path: Path, name: str, text: str | None, cause: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    events: list[dict[str, Any]] = []
    auth = TrustedProxyAuth(
        load_config({**BASE, "TRUSTED_PROXY_ISSUER": A, "TRUSTED_PROXY_JWKS_FILE": str(path)}), on_event=events.append
    )
    expected = f"jwks_unavailable: key file {json.dumps(str(path))}: {cause}"
    assert _outcome(auth.ready) == expected
    assert _outcome(lambda: auth.verify_assertion(_token(KEY_A, A))) == expected
    assert str(private_jwk(KEY_A)["d"]) not in json.dumps(events)
    auth.close()


def _problems(env: dict[str, str], **overrides: Any) -> list[str]:
    try:
        load_config(env, **overrides)
    except TrustedProxyAuthError as error:
        return [f"{problem.variable} {problem.message}" for problem in error.problems or ()]
    return []


def test_second_key_source_and_preset_are_refused() -> None:
    env = {**BASE, "TRUSTED_PROXY_ISSUER": A}
    assert _problems(
        {**env, "TRUSTED_PROXY_JWKS_FILE": "/k.json", "TRUSTED_PROXY_JWKS_URL": "https://k.example/j"}
    ) == ["TRUSTED_PROXY_JWKS_FILE must not be set with TRUSTED_PROXY_JWKS_URL: exactly one key source may be set"]
    assert (
        "TRUSTED_PROXY_JWKS_FILE must not be set with TRUSTED_PROXY_PRESET (the preset names its own key source)"
        in _problems({**env, "TRUSTED_PROXY_JWKS_FILE": "/k.json", "TRUSTED_PROXY_PRESET": "pomerium"})
    )


def test_only_the_named_issuers_key_set_is_fetched() -> None:
    urls = {f"{A}/jwks.json": KEY_A, f"{B}/jwks.json": KEY_B}
    fetched: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        fetched.append(url)
        key = urls.get(url)
        if key is None:
            return httpx.Response(404)
        return httpx.Response(200, json=_set(key.public_jwk))

    entries = [{"issuer": issuer, "jwks_url": url} for url, issuer in zip(urls, (A, B), strict=True)]
    auth = TrustedProxyAuth(
        load_config({**BASE, "TRUSTED_PROXY_ISSUERS": json.dumps(entries)}), transport=httpx.MockTransport(handler)
    )
    auth.ready()
    fetched.clear()
    # A's token signed with B's key and kid: the unknown kid refetches A's set, never B's.
    assert _outcome(lambda: auth.verify_assertion(_token(KEY_B, A), now=NOW)).startswith("unknown_key")
    assert fetched == [f"{A}/jwks.json"]
    assert _outcome(lambda: auth.verify_assertion(_token(KEY_B, B), now=NOW)) == "ok"
    assert auth.status().key_count == 2
    auth.close()


def test_remembered_verification_belongs_to_the_entry_that_verified_it(tmp_path: Path) -> None:
    path = tmp_path / "entry-b.json"
    _replace(path, json.dumps(_set(KEY_B.public_jwk)))
    clock = [float(NOW)]
    entries = [{"issuer": A, "jwks": _set(KEY_A.public_jwk)}, {"issuer": B, "jwks_file": str(path)}]
    auth = TrustedProxyAuth(load_config({**BASE, "TRUSTED_PROXY_ISSUERS": json.dumps(entries)}), clock=lambda: clock[0])
    token_a, token_b = _token(KEY_A, A), _token(KEY_B, B)
    # Taken in at the second success, a hit at the third.
    for _ in range(3):
        assert _outcome(lambda: auth.verify_assertion(token_a, now=NOW)) == "ok"
        assert _outcome(lambda: auth.verify_assertion(token_b, now=NOW)) == "ok"
    assert auth.cache_counts().hits == 2
    _replace(path, json.dumps(_set()))
    clock[0] += KEY_FILE_CHECK_INTERVAL
    assert _outcome(lambda: auth.verify_assertion(token_a, now=NOW)) == "ok"
    assert auth.cache_counts().hits == 3
    assert _outcome(lambda: auth.verify_assertion(token_b, now=NOW)).startswith("unknown_key")
    auth.close()


def test_config_file_and_keyword_forms(tmp_path: Path) -> None:
    entries = [
        {"issuer": A, "jwks": _set(KEY_A.public_jwk)},
        {
            "issuer": B,
            "jwks": _set(KEY_B.public_jwk),
            "audience": [AUDIENCE, "other"],
            "algorithms": ["ES256"],
            "clock_tolerance": 5,
        },
    ]
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**BASE, "TRUSTED_PROXY_ISSUERS": entries}))
    for config in (load_config({"TRUSTED_PROXY_CONFIG_FILE": str(path)}), load_config(dict(BASE), issuers=entries)):
        summary = [
            (entry.issuer, entry.key_source.kind, entry.audience, entry.algorithms, entry.clock_tolerance)
            for entry in config.issuers
        ]
        assert summary == [
            (A, "inlineJwks", (AUDIENCE,), config.algorithms, 60),
            (B, "inlineJwks", (AUDIENCE, "other"), ("ES256",), 5),
        ]
        auth = TrustedProxyAuth(config)
        assert _outcome(lambda auth=auth: auth.verify_assertion(_token(KEY_B, B), now=NOW)) == "ok"
        auth.close()
    inline = load_config({**BASE, "TRUSTED_PROXY_ISSUER": A}, jwks=_set(KEY_A.public_jwk))
    assert inline.key_source is not None
    assert inline.key_source.kind == "inlineJwks"


def test_problems_name_entries_and_members_never_values() -> None:
    secret = "sekrit-value-123"
    entries = [{"issuer": A, "jwks_url": f"http://{secret}.example/jwks.json", secret: 1}]
    problems = _problems({**BASE, "TRUSTED_PROXY_ISSUERS": json.dumps(entries)})
    assert problems == [
        "TRUSTED_PROXY_ISSUERS entry 1 has an unknown member (known: issuer, jwks_url, jwks_file, jwks, discovery, "
        "audience, algorithms, clock_tolerance)",
        'TRUSTED_PROXY_ISSUERS entry 1 "jwks_url" must use https (plain http only for loopback hosts)',
    ]
    assert secret not in json.dumps(problems)


def test_start_up_line_lists_each_entry(caplog: pytest.LogCaptureFixture) -> None:
    entries = [{"issuer": A, "jwks": _set(KEY_A.public_jwk)}, {"issuer": B, "jwks_file": "/etc/b.json"}]
    config = load_config({**BASE, "TRUSTED_PROXY_ISSUERS": json.dumps(entries), "TRUSTED_PROXY_LOG_THRESHOLD": "info"})
    with caplog.at_level("INFO", logger="trusted_proxy_auth"):
        TrustedProxyAuth(config).close()
    assert f'issuers=["{A}":inline-jwks (1 keys), "{B}":jwks-file "/etc/b.json"]' in caplog.text
