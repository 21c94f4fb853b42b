"""`trusted-proxy-auth doctor`: the audit of contract/doctor.json, with the same JSON as the TypeScript CLI."""

from .report import DoctorReport, format_doctor_report, run_doctor

__all__ = ["DoctorReport", "format_doctor_report", "run_doctor"]
