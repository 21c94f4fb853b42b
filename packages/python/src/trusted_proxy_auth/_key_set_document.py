"""The members of a JSON Web Key Set document, whatever its origin (a URL, a file, inline configuration)."""

from __future__ import annotations

import json
from typing import Any

from ._key_fetch import FetchFailure
from ._key_set import has_private_material

#: The largest key set document read, from a URL or a file (bytes).
MAX_KEY_SET_BYTES = 1024 * 1024


def _reject_constant(_name: str) -> Any:
    raise ValueError("not JSON")


def parse_key_set_document(body: bytes | str) -> list[dict[str, Any]]:
    """The `keys` of a JSON Web Key Set (RFC 7517 section 5): an object whose `keys` is an array of objects.
    A set publishing private key material is refused whole (its signing key has leaked). Raises FetchFailure
    with the cause in words ("invalid JSON", "not a JSON Web Key Set", "key set publishes private key
    material"), never the key material; the TypeScript core's `parseKeySetDocument` says the same."""
    text = body.decode("utf-8-sig", errors="replace") if isinstance(body, bytes) else body.removeprefix("\ufeff")
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise FetchFailure("invalid JSON") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
        raise FetchFailure("not a JSON Web Key Set")
    if any(has_private_material(key) for key in keys):
        raise FetchFailure("key set publishes private key material")
    return keys
