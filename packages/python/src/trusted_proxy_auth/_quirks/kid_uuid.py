"""Quirk kidUuid, stage key_lookup: the kid goes into a key URL, so nothing but a UUID (hex digits and
`-`) may reach it. Checked before any cache lookup or fetch."""

from __future__ import annotations

import re

_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}", re.ASCII)


def is_uuid_kid(kid: str | None) -> bool:
    return kid is not None and _UUID.fullmatch(kid) is not None
