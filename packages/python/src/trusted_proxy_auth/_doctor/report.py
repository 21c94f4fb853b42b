"""Runs the doctor's checks in a fixed order (static, live, assertion) and renders the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from trusted_proxy_auth.config import TrustedProxyAuthConfig
from trusted_proxy_auth.errors import TrustedProxyAuthError, error_entry
from trusted_proxy_auth.verifier import TrustedProxyAuth

from .findings import Finding, finding
from .live_checks import live_findings
from .static_checks import config_problem_findings, static_findings

_SEVERITIES = ("critical", "warning", "info")


@dataclass
class DoctorReport:
    """What `trusted-proxy-auth doctor --json` prints (the same in TypeScript)."""

    findings: list[Finding] = field(default_factory=list)
    #: The verified assertion's claims, with --assertion; never the assertion itself.
    claims: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """False when any finding is critical (exit 1)."""
        return all(item.severity != "critical" for item in self.findings)

    def counts(self) -> dict[str, int]:
        return {severity: sum(1 for item in self.findings if item.severity == severity) for severity in _SEVERITIES}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": self.ok,
            "counts": self.counts(),
            "findings": [item.to_dict() for item in self.findings],
        }
        if self.claims is not None:
            body["claims"] = self.claims
        return body


def _assertion_findings(
    config: TrustedProxyAuthConfig, token: str, now: float | None
) -> tuple[list[Finding], dict[str, Any] | None]:
    auth = TrustedProxyAuth(config)
    try:
        identity = auth.verify_assertion(token, now=now)
        return [finding("assertion_verified", identity.subject)], dict(identity.to_dict()["claims"])
    except TrustedProxyAuthError as error:
        cause = getattr(error, "detail", None)
        if not cause and error.code == "jwks_unavailable":
            cause = auth.status().last_error
        detail = f"{error.code}: {error_entry(error.code)['message']}" + (f" ({cause})" if cause else "")
        return [finding("assertion_rejected", detail)], None
    finally:
        auth.close()


def run_doctor(
    config: TrustedProxyAuthConfig | TrustedProxyAuthError,
    *,
    live: bool = True,
    assertion: str | None = None,
    now: float | None = None,
) -> DoctorReport:
    """`config` is the loaded configuration or the invalid_config error loading it raised."""
    report = DoctorReport()
    if isinstance(config, TrustedProxyAuthError):
        report.findings.extend(config_problem_findings(config))
        return report
    report.findings.extend(static_findings(config))
    if live:
        report.findings.extend(live_findings(config))
    if assertion is not None:
        checked, claims = _assertion_findings(config, assertion, now)
        report.findings.extend(checked)
        report.claims = claims
    return report


def format_doctor_report(report: DoctorReport) -> str:
    """The terminal form: one block per finding, worst first, then the claims."""
    lines: list[str] = []
    for severity in _SEVERITIES:
        for item in (f for f in report.findings if f.severity == severity):
            lines.append(f"{severity.upper()} {item.id}: {item.message}")
            if item.detail is not None:
                lines.append(f"  detail: {item.detail}")
            if severity != "info":
                lines.append(f"  fix: {item.fix}")
    if report.claims is not None:
        lines.append("claims:")
        for name, value in report.claims.items():
            lines.append(f"  {name}: {json.dumps(value, ensure_ascii=False, separators=(',', ':'))}")
    counts = report.counts()
    lines.append(f"{counts['critical']} critical, {counts['warning']} warning, {counts['info']} info")
    return "\n".join(lines) + "\n"
