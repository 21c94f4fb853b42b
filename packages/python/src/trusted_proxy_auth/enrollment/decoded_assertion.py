"""An assertion's protected header and claims, read without verification: for display and proposals only."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from trusted_proxy_auth._compact_jws import parse_compact_jws
from trusted_proxy_auth._contract import variable_for_option
from trusted_proxy_auth._quirks.padded_base64url import without_padding
from trusted_proxy_auth._text import utf8_length

DecodedAssertion = dict[str, dict[str, Any]]


@cache
def largest_assertion_bytes() -> int:
    """No configuration accepts a longer assertion (the maximum of the assertion size setting), so none is
    decoded."""
    return int(variable_for_option("maxAssertionBytes").get("maximum", 65536))


def decode_assertion(assertion: str) -> DecodedAssertion | Literal["too_large", "malformed"]:
    """`{"header": ..., "claims": ...}` of a compact JWS (the verifier's own strict parser, padding tolerated),
    or why it cannot be read. Never verified: nothing here may decide trust."""
    if utf8_length(assertion) > largest_assertion_bytes():
        return "too_large"
    parsed = parse_compact_jws(assertion, segment=without_padding)
    if parsed is None:
        return "malformed"
    return {"header": dict(parsed.protected_header), "claims": dict(parsed.payload)}
