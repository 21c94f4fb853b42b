"""`enrollment_record`: the record of a successful enrollment."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from trusted_proxy_auth._contract import enrollment_contract
from trusted_proxy_auth.errors import ConfigProblem, TrustedProxyAuthError

from .record import CheckEntry, EnrolledKeyEntry, EnrollmentRecord, SettingValue, validate_enrollment_record
from .report import EnrollmentProposal, EnrollmentReport


def _setting(value: SettingValue) -> SettingValue:
    return list(value) if isinstance(value, (list, tuple)) else value


def enrollment_record(
    report: EnrollmentReport,
    proposal: EnrollmentProposal,
    method: Literal["cli", "page"],
    now: datetime | None = None,
) -> EnrollmentRecord:
    """The record of `proposal` after `report` passed every check: settings, who enrolled (the challenge's
    subject and issuer), when (UTC, whole seconds), the key set URL and RFC 7638 thumbprints of its keys (audit
    trail, never pins). Raises `invalid_config` unless `report.ok` or when the result fails the schema."""
    if not report.ok or report.subject is None or report.issuer is None:
        failed = [check.id for check in report.checks if check.result != "pass"]
        reason = f"checks not passed: {', '.join(failed)}" if failed else "the assertion names no subject or issuer"
        raise TrustedProxyAuthError("invalid_config", problems=[ConfigProblem("enrollment", reason)])
    when = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    keys: list[EnrolledKeyEntry] = [
        {"kid": key.kid, "kty": key.kty, "alg": key.alg, "thumbprint": key.thumbprint} for key in report.keys
    ]
    checks: list[CheckEntry] = [{"id": check.id, "result": "pass"} for check in report.checks]
    record: EnrollmentRecord = {
        "format": str(enrollment_contract()["format"]),
        "settings": {name: _setting(value) for name, value in proposal.settings.items()},
        "enrolledAt": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enrolledBy": {"subject": report.subject, "issuer": report.issuer, "method": method},
        "keySetUrl": report.key_set_url,
        "keys": keys,
        "checks": checks,
    }
    return validate_enrollment_record(record, variable="enrollment")
