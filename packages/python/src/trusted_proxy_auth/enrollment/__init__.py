"""Trust onboarding (contract/enrollment.json): check a proposed configuration against a challenge assertion
that came through the proxy, write the enrollment record the runtime loads through
the enrollment file setting, revoke it, and the one-time enrollment code of the enrollment page."""

from __future__ import annotations

from .build_record import enrollment_record
from .checks import EMBEDDED_KEY_MEMBERS, acheck_enrollment, check_enrollment
from .code import create_enrollment_code, enrollment_code_matches
from .proposal import apropose_settings, propose_settings
from .record import (
    EnrollmentRecord,
    SettingValue,
    read_enrollment_record,
    record_problems,
    revoke_enrollment,
    validate_enrollment_record,
    write_enrollment_record,
)
from .report import EnrolledKey, EnrollmentCheckResult, EnrollmentProposal, EnrollmentReport, enrollment_checks
from .thumbprint import jwk_thumbprint

__all__ = [
    "EMBEDDED_KEY_MEMBERS",
    "EnrolledKey",
    "EnrollmentCheckResult",
    "EnrollmentProposal",
    "EnrollmentRecord",
    "EnrollmentReport",
    "SettingValue",
    "acheck_enrollment",
    "apropose_settings",
    "check_enrollment",
    "create_enrollment_code",
    "enrollment_checks",
    "enrollment_code_matches",
    "enrollment_record",
    "jwk_thumbprint",
    "propose_settings",
    "read_enrollment_record",
    "record_problems",
    "revoke_enrollment",
    "validate_enrollment_record",
    "write_enrollment_record",
]
