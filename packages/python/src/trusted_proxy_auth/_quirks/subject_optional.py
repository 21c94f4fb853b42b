"""Quirk subjectOptional, stage claim_presence: Cloudflare Access service tokens carry `sub: ""` and name
the caller in another claim."""

from __future__ import annotations

from typing import Any


def subject_with_fallback(payload: dict[str, Any], subject_claim: str, fallback_claim: str) -> str | None:
    """The subject claim when it is a non-empty string, else the fallback claim when that is a non-empty
    string, else None (missing_claim). Types were checked before."""
    subject = payload.get(subject_claim)
    if isinstance(subject, str) and subject != "":
        return subject
    fallback = payload.get(fallback_claim)
    return fallback if isinstance(fallback, str) and fallback != "" else None
