"""Enrollment (contract/enrollment.json): every check passing and failing, the record's schema, atomic write
with mode 0600, revoke, the one-time code and the record as the lowest-precedence configuration source."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from helpers import AUDIENCE, HEADER, ISSUER, NOW, JwksResponse, MockJwks, RoutedMock, claims, make_key, private_jwk

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth._contract import enrollment_contract
from trusted_proxy_auth.enrollment import (
    EnrollmentProposal,
    EnrollmentRecord,
    EnrollmentReport,
    acheck_enrollment,
    check_enrollment,
    create_enrollment_code,
    enrollment_checks,
    enrollment_code_matches,
    enrollment_record,
    jwk_thumbprint,
    propose_settings,
    read_enrollment_record,
    revoke_enrollment,
    write_enrollment_record,
)

JWKS_URL = "https://keys.test/jwks.json"
NOT_COMPACT_JWS = "not a compact JWS (three base64url segments with a JSON object header and payload)"
KEY = make_key("ES256", "key-1")
SETTINGS: dict[str, Any] = {
    "TRUSTED_PROXY_ASSERTION_HEADER": HEADER,
    "TRUSTED_PROXY_JWKS_URL": JWKS_URL,
    "TRUSTED_PROXY_ISSUER": ISSUER,
    "TRUSTED_PROXY_AUDIENCE": [AUDIENCE],
}


def _check(
    token: str, settings: dict[str, Any] | None = None, jwks: JwksResponse | None = None, now: float = NOW
) -> EnrollmentReport:
    mock = MockJwks(jwks or JwksResponse.of(KEY.public_jwk))
    return check_enrollment(EnrollmentProposal(settings or SETTINGS), token, env={}, now=now, transport=mock.transport)


def _results(report: EnrollmentReport) -> dict[str, str]:
    return {check.id: check.result for check in report.checks}


def _failed(report: EnrollmentReport) -> dict[str, str | None]:
    return {check.id: check.detail for check in report.checks if check.result == "fail"}


def test_every_check_passes_for_a_good_proposal_in_contract_order() -> None:
    report = _check(KEY.sign(claims()))
    assert report.ok
    assert [check.id for check in report.checks] == [check_id for check_id, _ in enrollment_checks()]
    assert set(_results(report).values()) == {"pass"}
    assert report.key_set_url == JWKS_URL
    assert report.subject == "user-1"
    assert report.issuer == ISSUER
    assert [(key.kid, key.kty, key.alg) for key in report.keys] == [("key-1", "EC", "ES256")]
    assert report.keys[0].thumbprint == jwk_thumbprint(KEY.public_jwk)
    assert report.decoded is not None
    assert report.decoded["claims"]["sub"] == "user-1"


def test_the_async_driver_gives_the_same_report() -> None:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    token = KEY.sign(claims())
    report = asyncio.run(
        acheck_enrollment(EnrollmentProposal(SETTINGS), token, env={}, now=NOW, transport=mock.async_transport)
    )
    assert report == _check(token)


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "x5c"])
def test_keys_carried_in_the_token_are_refused(member: str) -> None:
    header = {"alg": "ES256", "kid": "key-1", member: "https://attacker.test/k" if member != "jwk" else {}}
    report = _check(KEY.sign(claims(), header))
    assert not report.ok
    assert _failed(report) == {"no_embedded_keys": f'header carries "{member}"'}


def test_plain_http_key_url_outside_loopback_is_refused_before_any_fetch() -> None:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    settings = {**SETTINGS, "TRUSTED_PROXY_JWKS_URL": "http://keys.test/jwks.json"}
    report = check_enrollment(
        EnrollmentProposal(settings), KEY.sign(claims()), env={}, now=NOW, transport=mock.transport
    )
    assert not report.ok
    # The loader refuses the URL as well, so the configuration check fails and nothing is fetched.
    assert _results(report)["configuration_valid"] == "fail"
    assert _results(report)["keys_reachable"] == "not_run"
    assert mock.requests == []


def test_plain_http_key_url_on_loopback_is_allowed() -> None:
    settings = {**SETTINGS, "TRUSTED_PROXY_JWKS_URL": "http://127.0.0.1:8080/jwks.json"}
    report = _check(KEY.sign(claims()), settings)
    assert report.ok, _failed(report)


def test_an_assertion_not_signed_by_the_key_set_is_refused() -> None:
    other = make_key("ES256", "key-1")
    report = _check(other.sign(claims()))
    assert _failed(report) == {
        "assertion_signature": 'invalid_signature: signature does not verify with kid "key-1" and alg "ES256"'
    }


def test_an_expired_assertion_is_refused() -> None:
    report = _check(KEY.sign(claims(iat=NOW - 7200, exp=NOW - 3600)))
    assert list(_failed(report)) == ["fresh"]


@pytest.mark.parametrize(
    ("overrides", "check"),
    [({"iss": "https://other.example"}, "issuer"), ({"aud": "other-app"}, "audience"), ({"aud": ...}, "audience")],
)
def test_wrong_issuer_or_audience_is_refused(overrides: dict[str, Any], check: str) -> None:
    report = _check(KEY.sign(claims(**overrides)))
    assert list(_failed(report)) == [check]


@pytest.mark.parametrize(
    ("response", "detail"),
    [
        (JwksResponse(status=503), "HTTP status 503"),
        (JwksResponse(status=302, headers={"location": "https://elsewhere.test/"}), "HTTP status 302"),
    ],
)
def test_an_unreachable_key_set_fails_keys_reachable(response: JwksResponse, detail: str) -> None:
    report = _check(KEY.sign(claims()), jwks=response)
    assert _failed(report)["keys_reachable"] == detail
    assert _results(report)["keys_usable"] == "not_run"
    assert _results(report)["assertion_signature"] == "not_run"


def test_unusable_keys_and_private_material_fail_keys_usable() -> None:
    weak_rsa = make_key("RS256", "key-1", rsa_bits=1024)
    report = _check(
        weak_rsa.sign(claims()), {**SETTINGS, "TRUSTED_PROXY_ALGORITHMS": "RS256"}, JwksResponse.of(weak_rsa.public_jwk)
    )
    assert _results(report)["keys_usable"] == "fail"
    report = _check(KEY.sign(claims()), jwks=JwksResponse.of({**private_jwk(KEY), "kid": "key-1"}))
    assert _failed(report)["keys_usable"] == "the key set publishes private key material"


def test_a_configuration_the_runtime_refuses_fails_configuration_valid() -> None:
    report = _check(KEY.sign(claims()), {**SETTINGS, "TRUSTED_PROXY_ALGORITHMS": "HS256"})
    assert _results(report)["configuration_valid"] == "fail"
    assert not report.ok


def test_a_local_key_set_is_checked_by_the_verifier_and_a_list_of_issuers_is_not_enrolled() -> None:
    without_url = {name: value for name, value in SETTINGS.items() if name != "TRUSTED_PROXY_JWKS_URL"}
    inline = _check(KEY.sign(claims()), {**without_url, "TRUSTED_PROXY_JWKS": json.dumps({"keys": [KEY.public_jwk]})})
    assert inline.ok
    assert {check.id: check.detail for check in inline.checks}["key_url_secure"] == (
        "no key URL: the key set is TRUSTED_PROXY_JWKS"
    )
    entries = json.dumps([{"issuer": ISSUER, "jwks_url": JWKS_URL}])
    without_issuer = {name: value for name, value in without_url.items() if name != "TRUSTED_PROXY_ISSUER"}
    several = _check(KEY.sign(claims()), {**without_issuer, "TRUSTED_PROXY_ISSUERS": entries})
    assert not several.ok
    assert (_failed(several).get("configuration_valid") or "").startswith(
        "TRUSTED_PROXY_ISSUERS is configured directly"
    )


def test_the_environment_wins_over_the_proposal_as_at_run_time() -> None:
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    report = check_enrollment(
        EnrollmentProposal(SETTINGS),
        KEY.sign(claims()),
        env={"TRUSTED_PROXY_AUDIENCE": "other"},
        now=NOW,
        transport=mock.transport,
    )
    assert list(_failed(report)) == ["audience"]


def test_a_malformed_assertion_fails_and_skips_what_needs_it() -> None:
    report = _check("not-a-jws")
    assert _results(report)["no_embedded_keys"] == "not_run"
    assert _failed(report) == {"assertion_signature": "malformed_assertion: " + NOT_COMPACT_JWS}
    assert {_results(report)[check] for check in ("issuer", "audience", "fresh")} == {"not_run"}
    assert not report.ok
    assert report.decoded is None


def test_discovery_finds_the_key_set_and_checks_the_issuer() -> None:
    issuer = "https://idp.test"
    key = make_key("RS256", "rsa-1")
    routes = RoutedMock(
        {
            "https://idp.test/.well-known/openid-configuration": JwksResponse(
                body=json.dumps({"issuer": issuer, "jwks_uri": "https://idp.test/keys"})
            ),
            "https://idp.test/keys": JwksResponse.of(key.public_jwk),
        }
    )
    token = key.sign(claims(iss=issuer))
    proposal = propose_settings(token, discovery=True, assertion_header="Authorization", transport=routes.transport)
    assert proposal.settings == {
        "TRUSTED_PROXY_ASSERTION_HEADER": "Authorization",
        "TRUSTED_PROXY_ISSUER": issuer,
        "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
        "TRUSTED_PROXY_JWKS_URL": "https://idp.test/keys",
    }
    report = check_enrollment(proposal, token, env={}, now=NOW, transport=routes.transport)
    assert report.ok, _failed(report)


def test_propose_settings_refuses_discovery_naming_another_issuer() -> None:
    routes = RoutedMock(
        {
            "https://proxy.example/.well-known/openid-configuration": JwksResponse(
                body=json.dumps({"issuer": "https://evil.test", "jwks_uri": "https://evil.test/keys"})
            )
        }
    )
    with pytest.raises(TrustedProxyAuthError) as raised:
        propose_settings(KEY.sign(claims()), discovery=True, transport=routes.transport)
    assert raised.value.code == "jwks_unavailable"
    assert "discovery issuer differs" in (raised.value.detail or "")


# -- the record -----------------------------------------------------------------------------------


def _record(method: str = "cli") -> EnrollmentRecord:
    report = _check(KEY.sign(claims()))
    return enrollment_record(report, EnrollmentProposal(SETTINGS), "cli" if method == "cli" else "page")


def test_a_record_holds_what_was_checked() -> None:
    record = _record()
    assert record["format"] == enrollment_contract()["format"]
    assert record["enrolledBy"] == {"subject": "user-1", "issuer": ISSUER, "method": "cli"}
    assert record["keySetUrl"] == JWKS_URL
    assert [check["id"] for check in record["checks"]] == [check_id for check_id, _ in enrollment_checks()]
    assert record["settings"] == SETTINGS


def test_no_record_unless_every_check_passed() -> None:
    report = _check(KEY.sign(claims(iat=NOW - 7200, exp=NOW - 3600)))
    with pytest.raises(TrustedProxyAuthError) as raised:
        enrollment_record(report, EnrollmentProposal(SETTINGS), "cli")
    assert raised.value.code == "invalid_config"
    assert "fresh" in (raised.value.detail or "")


def test_write_is_atomic_with_mode_0600_and_reads_back(tmp_path: Path) -> None:
    target = tmp_path / "enrollment.json"
    target.write_text("old")
    os.chmod(target, 0o644)
    record = _record()
    old_umask = os.umask(0o000)
    try:
        write_enrollment_record(str(target), record)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert read_enrollment_record(str(target)) == record
    assert [path.name for path in tmp_path.iterdir()] == ["enrollment.json"]  # no temporary file left


def test_a_failed_write_leaves_the_old_record_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "enrollment.json"
    record = _record()
    write_enrollment_record(str(target), record)
    before = target.read_bytes()

    def refuse(_source: str, _destination: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_enrollment_record(str(target), record)
    assert target.read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == ["enrollment.json"]


def test_an_invalid_record_is_never_written(tmp_path: Path) -> None:
    record = _record()
    record["settings"] = {"TRUSTED_PROXY_SHARED_SECRET": "s3cret-value"}
    with pytest.raises(TrustedProxyAuthError) as raised:
        write_enrollment_record(str(tmp_path / "enrollment.json"), record)
    assert "s3cret-value" not in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_read_gives_none_for_a_missing_file_and_invalid_config_for_a_broken_one(tmp_path: Path) -> None:
    assert read_enrollment_record(str(tmp_path / "absent.json")) is None
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(TrustedProxyAuthError) as raised:
        read_enrollment_record(str(broken))
    assert raised.value.code == "invalid_config"
    assert raised.value.problems is not None
    assert raised.value.problems[0].variable == "TRUSTED_PROXY_ENROLLMENT_FILE"


def test_revoke_removes_the_record_and_emits_an_audit_event(tmp_path: Path) -> None:
    target = tmp_path / "enrollment.json"
    write_enrollment_record(str(target), _record())
    events: list[dict[str, Any]] = []
    assert revoke_enrollment(str(target), on_event=events.append)
    assert not target.exists()
    assert events == [{"type": "enrollment_revoked"}]
    assert not revoke_enrollment(str(target))


# -- the code -------------------------------------------------------------------------------------


def test_codes_follow_the_contract_and_compare_in_constant_time() -> None:
    rules = enrollment_contract()["enrollmentCode"]
    codes = {create_enrollment_code() for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert len(code) == rules["length"]
        assert set(code) <= set(rules["alphabet"])
    code = next(iter(codes))
    assert enrollment_code_matches(code, code)
    assert enrollment_code_matches(code, f"  {code.lower()} ")
    assert not enrollment_code_matches(code, code[:-1])
    assert not enrollment_code_matches(code, "")


# -- the record as a configuration source ---------------------------------------------------------


def _enrolled(tmp_path: Path) -> str:
    target = tmp_path / "enrollment.json"
    write_enrollment_record(str(target), _record())
    return str(target)


def test_the_record_configures_the_runtime_and_it_enforces(tmp_path: Path) -> None:
    path = _enrolled(tmp_path)
    config = load_config({"TRUSTED_PROXY_ENROLLMENT_FILE": path})
    assert config.enrollment_file == path
    assert config.jwks_url == JWKS_URL
    mock = MockJwks(JwksResponse.of(KEY.public_jwk))
    auth = TrustedProxyAuth(config, transport=mock.transport)
    try:
        assert auth.verify_assertion(KEY.sign(claims()), now=NOW).subject == "user-1"
        with pytest.raises(TrustedProxyAuthError) as raised:
            auth.verify_assertion(make_key("ES256", "key-1").sign(claims()), now=NOW)
        assert raised.value.code == "invalid_signature"
    finally:
        auth.close()


def test_precedence_code_then_env_then_config_file_then_record(tmp_path: Path) -> None:
    path = _enrolled(tmp_path)
    config_file = tmp_path / "config.json"
    config_file.write_text(
        json.dumps({"TRUSTED_PROXY_AUDIENCE": "from-file", "TRUSTED_PROXY_ISSUER": "https://file.test"})
    )
    env = {
        "TRUSTED_PROXY_ENROLLMENT_FILE": path,
        "TRUSTED_PROXY_CONFIG_FILE": str(config_file),
        "TRUSTED_PROXY_ISSUER": "https://env.test",
    }
    config = load_config(env, issuer="https://code.test")
    assert config.issuer == ("https://code.test",)
    assert load_config(env).issuer == ("https://env.test",)
    assert load_config(env).audience == ("from-file",)
    assert load_config(env).jwks_url == JWKS_URL  # only the record sets it


def test_a_missing_record_is_no_settings(tmp_path: Path) -> None:
    with pytest.raises(TrustedProxyAuthError) as raised:
        load_config({"TRUSTED_PROXY_ENROLLMENT_FILE": str(tmp_path / "absent.json")})
    assert {problem.variable for problem in raised.value.problems or ()} >= {"TRUSTED_PROXY_ISSUER"}


def test_an_invalid_record_or_refused_settings_are_invalid_config(tmp_path: Path) -> None:
    path = tmp_path / "enrollment.json"
    record = _record()
    path.write_text(json.dumps({**record, "format": "other"}))
    with pytest.raises(TrustedProxyAuthError) as raised:
        load_config({"TRUSTED_PROXY_ENROLLMENT_FILE": str(path)})
    # The record's settings are not used at all then, so the required ones are missing too.
    assert next(problem.to_dict() for problem in raised.value.problems or ()) == {
        "variable": "TRUSTED_PROXY_ENROLLMENT_FILE",
        "message": "does not match the enrollment record schema at /format (const)",
    }
    path.write_text(json.dumps({**record, "settings": {**SETTINGS, "TRUSTED_PROXY_ALGORITHMS": "HS256"}}))
    with pytest.raises(TrustedProxyAuthError) as raised:
        load_config({"TRUSTED_PROXY_ENROLLMENT_FILE": str(path)})
    assert [problem.variable for problem in raised.value.problems or ()] == ["TRUSTED_PROXY_ALGORITHMS"]
    path.write_text(json.dumps({**record, "settings": {**SETTINGS, "TRUSTED_PROXY_NOT_A_SETTING": "x"}}))
    with pytest.raises(TrustedProxyAuthError) as raised:
        load_config({"TRUSTED_PROXY_ENROLLMENT_FILE": str(path)})
    assert [problem.variable for problem in raised.value.problems or ()] == ["TRUSTED_PROXY_NOT_A_SETTING"]


def test_propose_settings_reads_nothing_from_the_assertion_when_told_not_to() -> None:
    proposal = propose_settings("not-a-token", from_assertion=False, env={"TRUSTED_PROXY_ISSUER": ISSUER})
    assert proposal.settings == {"TRUSTED_PROXY_ISSUER": ISSUER}
    with pytest.raises(TrustedProxyAuthError) as raised:
        propose_settings("a" * 70_000)
    assert raised.value.code == "assertion_too_large"


def test_an_oversized_assertion_is_never_decoded() -> None:
    report = _check("a." + "b" * 70_000 + ".c")
    assert report.decoded is None
    assert report.checks[3].detail == "the assertion is longer than 65536 bytes"


def test_the_administrator_is_named_only_by_the_proposed_configuration_itself() -> None:
    report = _check(KEY.sign(claims(iss="https://other.example")))
    assert report.subject is None
    assert report.issuer is None
