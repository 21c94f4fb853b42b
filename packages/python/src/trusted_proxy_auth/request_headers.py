"""Stages `required_headers` and `header_extraction`: reading the assertion from request headers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TypeAlias

from ._detail_text import quoted
from ._text import JS_WHITESPACE, js_trim
from .config import NameValueRule
from .errors import TrustedProxyAuthError

HeaderName: TypeAlias = str | bytes
#: Raw `(name, value)` pairs (ASGI's byte pairs included), or a mapping of names to one value or a list.
HeadersInput: TypeAlias = (
    Iterable[tuple[HeaderName, HeaderName]] | Mapping[str, str | list[str] | tuple[str, ...] | None]
)

_BEARER = re.compile(r"bearer +", re.IGNORECASE | re.ASCII)
_BEARER_ONLY = re.compile(r"bearer", re.IGNORECASE | re.ASCII)


def _text(value: HeaderName) -> str:
    # HTTP header bytes are ISO-8859-1 on the wire (ASGI passes them undecoded).
    return value.decode("latin-1") if isinstance(value, bytes) else value


def assertion_text(token: str | bytes) -> str:
    """An assertion handed over directly, as text: bytes are read as ISO-8859-1, exactly like a header value
    `header_values` reads, so `verify_assertion(b"...")` and `verify_request` see the same characters."""
    return _text(token)


@lru_cache(maxsize=64)
def lookup_names(name: str) -> tuple[str, bytes | None]:
    """`name` lowercased, as text and, when ASCII, as bytes. Names come from the configuration and the code,
    never from a request; remembered because every request looks one up."""
    wanted = name.lower()
    # ASGI's raw byte names are compared undecoded. For an ASCII name that is the same test: lowercasing never
    # turns one of ISO-8859-1's other characters into ASCII.
    return wanted, wanted.encode("ascii") if wanted.isascii() else None


_lower_bytes = bytes.lower


def header_values(headers: HeadersInput, name: str) -> list[str]:
    """Every value sent under `name` (case-insensitive), each repetition kept apart where the input allows."""
    wanted, wanted_bytes = lookup_names(name)
    return _values_under(headers, wanted, wanted_bytes)


def _values_under(headers: HeadersInput, wanted: str, wanted_bytes: bytes | None) -> list[str]:
    """`header_values` for a name already looked up (`lookup_names`)."""
    values: list[str] = []
    # ASGI servers pass a list: checked first, as the Mapping test is an ABC check.
    if type(headers) is not list and isinstance(headers, Mapping):
        items: Iterable[tuple[object, object]] = headers.items()
    else:
        items = headers
    for key, value in items:
        # Exact type tests first: ASGI's byte pairs are every request's case.
        if type(key) is bytes and wanted_bytes is not None:
            if _lower_bytes(key) != wanted_bytes:
                continue
        elif not isinstance(key, (str, bytes)) or _text(key).lower() != wanted:
            continue
        if type(value) is bytes:
            values.append(value.decode("latin-1"))
        elif value is None:
            continue
        elif isinstance(value, (str, bytes)):
            values.append(_text(value))
        elif isinstance(value, (list, tuple)):
            values.extend(_text(item) for item in value)
    return values


def extract_assertion(headers: HeadersInput, header_name: str) -> str | None:
    """The one assertion in the configured header, or None when absent or empty.

    Repeated or comma-joined values are refused rather than picking one: an attacker-supplied copy next to
    the proxy's is exactly what a proxy that fails to strip the header produces.
    """
    return assertion_under(headers, header_name, *lookup_names(header_name))


def assertion_under(headers: HeadersInput, header_name: str, wanted: str, wanted_bytes: bytes | None) -> str | None:
    """`extract_assertion` for a name already looked up (`lookup_names`), as the verifier does on every request.

    ASGI's raw header list (bytes names) is read in one pass that decodes nothing but the one value found;
    anything else (other input types, a name that is not bytes, a repeated header, a value that is not bytes)
    takes the general path, which gives the same answer for every input."""
    if type(headers) is list and wanted_bytes is not None:
        found: bytes | None = None
        read = False
        try:
            for key, raw in headers:
                # bytes.lower raises TypeError for any name that is not bytes.
                if _lower_bytes(key) == wanted_bytes:
                    if found is not None or type(raw) is not bytes:
                        break
                    found = raw
            else:
                read = True
        except TypeError:
            pass
        if read:
            if found is None:
                return None
            value = found.decode("latin-1")
            if wanted == "authorization":
                return _single_assertion(value, header_name, wanted)
            # _single_assertion for any other name, without the call: every request passes here.
            if value.strip(JS_WHITESPACE) == "":
                return None
            if "," in value:
                raise _comma_joined(header_name)
            return value
    values = _values_under(headers, wanted, wanted_bytes)
    if not values:
        return None
    if len(values) > 1:
        raise TrustedProxyAuthError(
            "malformed_assertion", detail=f"header {quoted(header_name)} was sent {len(values)} times"
        )
    return _single_assertion(values[0], header_name, wanted)


def _single_assertion(value: str, header_name: str, wanted: str) -> str | None:
    if wanted == "authorization":
        prefix = _BEARER.match(value)
        if prefix:
            value = value[prefix.end() :]
        elif _BEARER_ONLY.fullmatch(js_trim(value)):
            value = ""
    if js_trim(value) == "":
        return None
    if "," in value:
        raise _comma_joined(header_name)
    return value


def _comma_joined(header_name: str) -> TrustedProxyAuthError:
    return TrustedProxyAuthError(
        "malformed_assertion", detail=f"header {quoted(header_name)} holds a comma-joined value"
    )


def check_required_headers(headers: HeadersInput, rules: tuple[NameValueRule, ...]) -> None:
    for rule in rules:
        values = header_values(headers, rule.name)
        if not values:
            fault = "is absent"
        elif len(values) > 1:
            fault = f"was sent {len(values)} times"
        elif rule.value is not None and values[0] != rule.value:
            fault = "does not have the required value"
        else:
            continue
        raise TrustedProxyAuthError("missing_required_header", detail=f"header {quoted(rule.name)} {fault}")
