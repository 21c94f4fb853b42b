"""Stage `syntax` of contract/checks.json: three canonical base64url segments, strict JSON objects."""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._contract import max_json_depth
from ._json_strict import parse_strict_json_object

_BASE64URL_SEGMENT = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


#: The characters that may end a canonical segment, by the segment's length modulo 4: its unused low bits
#: (4 of the last character when 2 characters encode the last byte, 2 when 3 do) must be zero
#: (RFC 4648 section 3.5), or re-encoding the bytes would not give back the same text.
_CANONICAL_LAST = {
    0: frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    2: frozenset("AQgw"),
    3: frozenset("AEIMQUYcgkosw048"),
}
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def decode_canonical_base64url(segment: str) -> bytes | None:
    """Decodes canonical, unpadded base64url only: re-encoding must give back the same text."""
    last = _CANONICAL_LAST.get(len(segment) % 4)
    if last is None or not _BASE64URL_SEGMENT.fullmatch(segment) or segment[-1] not in last:
        return None
    try:
        # ASCII (the pattern matched): bytes.translate works on a table, far cheaper than str.translate's dict.
        padded = (segment + "=" * (-len(segment) % 4)).encode("ascii")
        return binascii.a2b_base64(padded.translate(_URLSAFE_TO_STANDARD))
    except (binascii.Error, ValueError):
        return None


def _decode_json_segment(segment: str) -> dict[str, Any] | None:
    data = decode_canonical_base64url(segment)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # A BOM is not JSON whitespace.
    if text.startswith("\ufeff"):
        return None
    return parse_strict_json_object(text, max_json_depth())


#: Decoded protected headers by their segment text. A proxy signs every assertion with the same few headers
#: (alg, kid, typ), so most are decoded once; the answer depends on the text alone, so reusing it changes no
#: verdict. Bounded (emptied when full), so that headers an attacker varies cost memory only up to the bound.
_HEADER_CACHE_SIZE = 64
_headers: dict[str, dict[str, Any] | None] = {}


def _protected_header(segment: str) -> dict[str, Any] | None:
    """The decoded header (shared between assertions: read it, never change it), or None when malformed."""
    try:
        return _headers[segment]
    except KeyError:
        pass
    header = _decode_json_segment(segment)
    if len(_headers) >= _HEADER_CACHE_SIZE:
        _headers.clear()
    _headers[segment] = header
    return header


@dataclass(frozen=True)
class ParsedCompactJws:
    #: Shared by every assertion with the same header segment: read only.
    protected_header: dict[str, Any]
    payload: dict[str, Any]
    #: The header and payload segments exactly as received, with anything a syntax plug took off to decode
    #: them (padding): the proxy signed the received text.
    signing_input: bytes
    signature: bytes


def parse_compact_jws(token: str, *, segment: Callable[[str], str | None] | None = None) -> ParsedCompactJws | None:
    """Stage `syntax`: None when the assertion is malformed. `segment`: a quirk's syntax plug (`_quirk_stages`),
    the text decoded from a segment as received (such as one padded with the `=` that complete it)."""
    segments = token.split(".")
    if len(segments) != 3:
        return None
    unpadded = segments if segment is None else [segment(received) for received in segments]
    header_segment, payload_segment, signature_segment = unpadded
    if header_segment is None or payload_segment is None or signature_segment is None:
        return None
    signature = decode_canonical_base64url(signature_segment)
    if signature is None:
        return None
    protected_header = _protected_header(header_segment)
    if protected_header is None:
        return None
    payload = _decode_json_segment(payload_segment)
    if payload is None:
        return None
    signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
    return ParsedCompactJws(protected_header, payload, signing_input, signature)
