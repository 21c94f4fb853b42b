"""Quirk sharedSecretHS256 (preset authentik): an HMAC secret from the configuration instead of a key set."""

from __future__ import annotations

from trusted_proxy_auth._text import js_utf8

#: RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output.
MIN_SHARED_SECRET_BYTES = 32
SHARED_SECRET_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret


def shared_secret_key(secret: str) -> bytes:
    """The HMAC key: the configured text's UTF-8 bytes, never base64-decoded."""
    return js_utf8(secret)


def shared_secret_problem(secret: str) -> str | None:
    """Why a (trimmed) shared secret is unusable, or None. Never mentions the value."""
    if len(shared_secret_key(secret)) < MIN_SHARED_SECRET_BYTES:
        return f"must be at least {MIN_SHARED_SECRET_BYTES} bytes"
    return None
