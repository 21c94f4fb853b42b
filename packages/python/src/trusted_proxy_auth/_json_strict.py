"""Strict JSON objects: no duplicate member names, bounded nesting, no non-finite numbers."""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn


class _Rejected(ValueError):
    pass


def json_nesting_depth(text: str) -> int:
    """Nesting depth of a JSON text, measured without parsing so that absurdly deep input is refused
    before Python's recursive decoder could raise RecursionError."""
    depth = 0
    deepest = 0
    in_string = False
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "}]":
            depth -= 1
        index += 1
    return deepest


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # dict() keeps one member per name, so fewer members than pairs means a name repeated.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Rejected("duplicate member name")
    return result


def _reject_constant(_name: str) -> NoReturn:
    raise _Rejected("NaN and Infinity are not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Rejected("number out of range")
    # -0.0 is read as 0.0 (contract/checks.json numberOutput): IEEE addition of +0.0 gives +0.0.
    return value + 0.0


#: Integers up to 2**53 are exact doubles; above, JavaScript holds the nearest double instead.
_MAX_EXACT_INTEGER = 2**53


#: An integer literal this short (sign included) is below 10**15 < 2**53: exact in both languages.
_SHORT_INTEGER_LITERAL = 15


def _finite_int(text: str) -> int | float:
    if len(text) <= _SHORT_INTEGER_LITERAL:
        return int(text)
    # JavaScript reads every number as a double (contract/checks.json numberOutput): an integer literal
    # beyond its range is Infinity there, so both languages refuse it, and one above 2**53 is the nearest
    # double, so that both print the same. int() itself refuses more than 4300 digits (ValueError).
    value = int(text)
    if abs(value) >= 2**1024 - 2**970:
        raise _Rejected("number out of range")
    return value if abs(value) <= _MAX_EXACT_INTEGER else float(text)


#: Built once: json.loads with hooks would build a decoder on every call. It keeps no state between calls.
_STRICT_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates,
    parse_constant=_reject_constant,
    parse_float=_finite_float,
    parse_int=_finite_int,
)


def parse_strict_json_object(text: str, max_depth: int) -> dict[str, Any] | None:
    """Parses a JSON object strictly: duplicate member names (at any depth), nesting beyond `max_depth`,
    numbers that overflow a double, NaN/Infinity and anything but an object at the top are refused (None).
    Parsers disagree on duplicates (first-wins vs last-wins), so accepting them would let a proxy and
    this library read different claims from the same signed bytes."""
    # Every level opens with `{` or `[`, so their count bounds the depth: most texts skip the character scan.
    if text.count("{") + text.count("[") > max_depth and json_nesting_depth(text) > max_depth:
        return None
    try:
        value = _STRICT_DECODER.decode(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
