"""Headers a proxy would forward, and a TRUSTED_PROXY_* environment that trusts a test issuer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from trusted_proxy_auth._contract import setting_name

from ._issuer import TestIssuer

#: The header `proxy_headers` and `env_for` agree on when none is given (as in the TypeScript kit).
DEFAULT_ASSERTION_HEADER: Final = "X-Test-Assertion"


def bearer(token: str) -> dict[str, str]:
    """`{"authorization": "Bearer <token>"}`."""
    return {"authorization": f"Bearer {token}"}


def proxy_headers(
    token: str, *, header: str = DEFAULT_ASSERTION_HEADER, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The headers an identity-aware proxy forwards: the assertion under `header` (for `Authorization` the
    value is `Bearer <token>`) plus `extra` (e.g. `{"X-Forwarded-Proto": "https"}`)."""
    value = f"Bearer {token}" if header.lower() == "authorization" else token
    return {**(extra or {}), header: value}


def env_for(issuer: TestIssuer, overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """A TRUSTED_PROXY_* environment for `load_config(env)` that trusts `issuer`: assertion header
    (X-Test-Assertion), JWKS URL, issuer and audience (a list is comma-joined). `overrides` win; a value of
    None removes that variable (to test a missing setting)."""
    audience = issuer.audience if isinstance(issuer.audience, str) else ",".join(issuer.audience)
    merged: dict[str, str | None] = {
        setting_name("assertionHeader"): DEFAULT_ASSERTION_HEADER,
        setting_name("jwksUrl"): issuer.jwks_url,
        setting_name("issuer"): issuer.issuer,
        setting_name("audience"): audience,
        **(overrides or {}),
    }
    return {name: value for name, value in merged.items() if value is not None}
