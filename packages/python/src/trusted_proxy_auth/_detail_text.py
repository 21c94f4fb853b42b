"""How a received value (a claim, a header member, a peer address) is quoted inside an error's `detail`
(contract/errors.json): cut to MAX_QUOTED_CHARACTERS code points, then `…`, with `"`, `\\` and control
characters escaped as in JSON, so that a detail is one readable line and cannot forge log lines. The
TypeScript core's `detail-text.ts` does exactly the same, so both languages produce identical details."""

from __future__ import annotations

import math
from collections.abc import Sequence

MAX_QUOTED_CHARACTERS = 100
#: At most this many values of a received list are shown.
MAX_QUOTED_VALUES = 5


def _escape_control(character: str) -> str:
    code = ord(character)
    # C0, DEL, C1, the JavaScript line separators and lone surrogates.
    if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029) or 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return character


def _escape(character: str) -> str:
    if character == '"':
        return '\\"'
    if character == "\\":
        return "\\\\"
    return _escape_control(character)


def printable(text: str) -> str:
    """A signed claim made safe for a terminal line: control characters (which could move the cursor, set the
    window title or clear the screen) and line separators escaped as `\\uXXXX`; nothing cut, quotes kept."""
    return "".join(_escape_control(character) for character in text)


def json_type(value: object) -> str:
    """The JSON type name of a value: string, number, boolean, null, array or object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


def quoted(value: object) -> str:
    """`"value"`, cut and escaped; a non-string is shown as its JSON type, e.g. `(number)`."""
    if not isinstance(value, str):
        return f"({json_type(value)})"
    shown = "".join(_escape(character) for character in value[:MAX_QUOTED_CHARACTERS])
    return f'"{shown}{"…" if len(value) > MAX_QUOTED_CHARACTERS else ""}"'


def quoted_list(values: Sequence[object]) -> str:
    """`"a", "b"`, at most MAX_QUOTED_VALUES of them, then `and N more`; `[]` for none."""
    if not values:
        return "[]"
    shown = ", ".join(quoted(value) for value in values[:MAX_QUOTED_VALUES])
    if len(values) > MAX_QUOTED_VALUES:
        return f"{shown} and {len(values) - MAX_QUOTED_VALUES} more"
    return shown


def number_text(value: float) -> str:
    """A number as JSON (and JavaScript) writes it: an integral float prints without `.0`."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)
