"""identity.emailVerified, with quirk emailVerifiedString (Cognito userinfo sends "true"/"false")."""

from __future__ import annotations

from typing import Any

_ABSENT: Any = object()


def email_verified_from(payload: dict[str, Any], accept_string: bool) -> bool | None:
    """None when `email_verified` is absent; True only for the JSON boolean true, or (with the quirk) also
    for the exact string "true"; False for anything else."""
    value = payload.get("email_verified", _ABSENT)
    if value is _ABSENT:
        return None
    return value is True or (accept_string and value == "true")
