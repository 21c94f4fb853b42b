"""Finding records built from contract/doctor.json, and the unsigned header list of contract/presets.json."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, cast

from trusted_proxy_auth._contract import presets_contract, read_contract_file

Severity = Literal["critical", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One doctor finding: never a token, a secret or key material. `detail` holds non-secret specifics
    (a setting, a kid, a fetch cause)."""

    id: str
    severity: Severity
    message: str
    fix: str
    detail: str | None = None

    def to_dict(self) -> dict[str, str]:
        """`{"id", "severity", "message", "fix"[, "detail"]}`, the order the TypeScript CLI prints."""
        body = {"id": self.id, "severity": self.severity, "message": self.message, "fix": self.fix}
        if self.detail is not None:
            body["detail"] = self.detail
        return body


@cache
def doctor_contract() -> dict[str, Any]:
    """contract/doctor.json."""
    return cast("dict[str, Any]", read_contract_file("doctor.json"))


def finding(finding_id: str, detail: str | None = None) -> Finding:
    """The contract's finding `finding_id` with an optional detail; ValueError for an unknown id."""
    for entry in doctor_contract()["findings"]:
        if entry["id"] == finding_id:
            return Finding(finding_id, entry["severity"], entry["message"], entry["fix"], detail)
    raise ValueError(f"unknown doctor finding {finding_id}")


@cache
def unsigned_identity_headers() -> frozenset[str]:
    """Concrete header names of contract/presets.json `unsignedConventions`, lower-cased (patterns skipped)."""
    names = (name for convention in presets_contract()["unsignedConventions"] for name in convention["headers"])
    return frozenset(name.lower() for name in names if "<" not in name and "*" not in name)


def max_clock_tolerance_seconds() -> int:
    return int(doctor_contract()["limits"]["maxClockToleranceSeconds"])
