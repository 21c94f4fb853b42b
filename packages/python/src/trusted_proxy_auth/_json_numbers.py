"""JSON text with numbers printed as ECMAScript prints them (contract/checks.json `numberOutput`).

Every number is an IEEE-754 double (I-JSON, RFC 7493 section 2.2) and is printed by ECMAScript
Number::toString, which RFC 8785 section 3.2.2.3 adopts: the shortest digits that round-trip (Python's
repr finds the same digits), positional notation from 10**-6 up to below 10**21, exponent form `1e+21` /
`1e-7` outside it, and `0` for negative zero. Both command lines then print byte-identical identities.
"""

from __future__ import annotations

import json
import math
from typing import Any


def js_number_text(value: float) -> str:
    """The ECMAScript Number::toString text of `value` (an int is taken as the nearest double).
    Raises ValueError for NaN and infinities, which JSON cannot carry."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("NaN and infinities are not JSON numbers")
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    mantissa, _, exponent_text = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction.rstrip("0")).lstrip("0")
    # `point` is ECMAScript's n: the value is 0.<digits> * 10**point. repr gives "123.45", "0.00012" or "1.5e-07".
    exponent_shift = int(exponent_text or 0)
    if whole != "0":
        point = len(whole) + exponent_shift
    else:
        point = exponent_shift - (len(fraction) - len(fraction.lstrip("0")))
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = f"0.{'0' * -point}{digits}"
    else:
        exponent = point - 1
        mark = "+" if exponent >= 0 else "-"
        text = f"{digits[0]}{'.' + digits[1:] if count > 1 else ''}e{mark}{abs(exponent)}"
    return sign + text


def _write(value: Any, ensure_ascii: bool, out: list[str]) -> None:
    if value is None or isinstance(value, (bool, str)):
        out.append(json.dumps(value, ensure_ascii=ensure_ascii))
    elif isinstance(value, (int, float)):
        out.append(js_number_text(value))
    elif isinstance(value, dict):
        out.append("{")
        for index, (name, member) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(name), ensure_ascii=ensure_ascii))
            out.append(":")
            _write(member, ensure_ascii, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, ensure_ascii, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON")


def dumps_compact(value: Any, *, ensure_ascii: bool = False) -> str:
    """Compact JSON (no spaces, members in their order) like JSON.stringify, numbers by js_number_text.
    Raises ValueError (non-finite number) or TypeError (a value JSON cannot hold)."""
    out: list[str] = []
    _write(value, ensure_ascii, out)
    return "".join(out)
