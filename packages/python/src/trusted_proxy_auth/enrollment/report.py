"""What `check_enrollment` found: one result per check of contract/enrollment.json, in contract order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from trusted_proxy_auth._contract import read_contract_file

from .record import SettingValue

CheckResult = Literal["pass", "fail", "not_run"]


@cache
def enrollment_checks() -> tuple[tuple[str, str], ...]:
    """(id, title) of every check, in the order of contract/enrollment.json."""
    return tuple((check["id"], check["title"]) for check in read_contract_file("enrollment.json")["checks"])


@dataclass(frozen=True)
class EnrollmentProposal:
    """The TRUSTED_PROXY_* settings to enroll, keyed by variable name (values as a config file holds them)."""

    settings: Mapping[str, SettingValue]


@dataclass(frozen=True)
class EnrollmentCheckResult:
    id: str
    title: str
    result: CheckResult
    #: Non-secret: why it failed or was not run (never the assertion or key material).
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "title": self.title, "result": self.result}
        if self.detail is not None:
            body["detail"] = self.detail
        return body


@dataclass(frozen=True)
class EnrolledKey:
    kid: str | None
    kty: Literal["RSA", "EC", "OKP"]
    alg: str | None
    #: RFC 7638 JWK thumbprint, SHA-256, base64url without padding.
    thumbprint: str

    def to_dict(self) -> dict[str, Any]:
        return {"kid": self.kid, "kty": self.kty, "alg": self.alg, "thumbprint": self.thumbprint}


@dataclass(frozen=True)
class EnrollmentReport:
    """`ok` when every check passed. `decoded` (the challenge's JOSE header and claims) is for display only."""

    ok: bool
    checks: tuple[EnrollmentCheckResult, ...]
    decoded: Mapping[str, dict[str, Any]] | None
    key_set_url: str | None
    keys: tuple[EnrolledKey, ...] = field(default_factory=tuple)
    subject: str | None = None
    issuer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The TypeScript `EnrollmentReport` shape (camelCase)."""
        return {
            "ok": self.ok,
            "checks": [check.to_dict() for check in self.checks],
            "decoded": None if self.decoded is None else dict(self.decoded),
            "keySetUrl": self.key_set_url,
            "keys": [key.to_dict() for key in self.keys],
            "subject": self.subject,
            "issuer": self.issuer,
        }
