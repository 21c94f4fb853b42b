"""The ECMAScript number form of the Python CLI's JSON (contract/checks.json numberOutput)."""

from __future__ import annotations

import json
import math
import struct

import pytest

from trusted_proxy_auth._json_numbers import dumps_compact, js_number_text

#: (JSON text read as a double, what ECMAScript's String(Number(text)) prints), taken from Node.js.
ECMASCRIPT_TEXTS = [
    ("0", "0"),
    ("-0", "0"),
    ("-0.0", "0"),
    ("1", "1"),
    ("1.0", "1"),
    ("-1", "-1"),
    ("0.1", "0.1"),
    ("0.30000000000000004", "0.30000000000000004"),
    ("1.796e9", "1796000000"),
    ("1796078254.0", "1796078254"),
    ("1700000300.25", "1700000300.25"),
    ("1e20", "100000000000000000000"),
    ("1e21", "1e+21"),
    ("1e22", "1e+22"),
    ("123456789012345678901", "123456789012345680000"),
    ("12345678901234567890", "12345678901234567000"),
    ("9007199254740993", "9007199254740992"),
    ("999999999999999900000", "999999999999999900000"),
    ("0.000001", "0.000001"),
    ("0.000001234", "0.000001234"),
    ("1e-7", "1e-7"),
    ("1.5e-7", "1.5e-7"),
    ("-5e-7", "-5e-7"),
    ("-1.5e-10", "-1.5e-10"),
    ("2.5e-5", "0.000025"),
    ("123e-20", "1.23e-18"),
    ("5e-324", "5e-324"),
    ("2.2250738585072014e-308", "2.2250738585072014e-308"),
    ("1.7976931348623157e308", "1.7976931348623157e+308"),
    ("1e300", "1e+300"),
    ("33333333.333333336", "33333333.333333336"),
    ("3.14159265358979323846", "3.141592653589793"),
    ("4.35", "4.35"),
    ("1234.5", "1234.5"),
]


@pytest.mark.parametrize(("text", "printed"), ECMASCRIPT_TEXTS)
def test_numbers_print_as_ecmascript(text: str, printed: str) -> None:
    assert js_number_text(float(text)) == printed


def test_every_printed_number_reads_back_as_the_same_double() -> None:
    # A spread of bit patterns: the output is JSON and round-trips exactly.
    for index in range(20000):
        (value,) = struct.unpack("<d", struct.pack("<Q", (index * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF))
        if not math.isfinite(value):
            continue
        printed = js_number_text(value)
        assert float(printed) == value or (value == 0 and printed == "0")
        assert json.loads(printed, parse_int=float) == value


def test_integers_are_taken_as_doubles() -> None:
    assert js_number_text(2**53 + 1) == "9007199254740992"
    assert js_number_text(10**21) == "1e+21"


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        js_number_text(math.inf)
    with pytest.raises(ValueError, match="not JSON"):
        js_number_text(math.nan)


def test_dumps_compact_is_json_stringify_shaped() -> None:
    value = {"a": [1.0, -0.0, 1e21, True, None, "é\u2028"], "b": {"c": 12345678901234567890}}
    assert dumps_compact(value) == '{"a":[1,0,1e+21,true,null,"é\u2028"],"b":{"c":12345678901234567000}}'
    assert (
        dumps_compact(value, ensure_ascii=True)
        == '{"a":[1,0,1e+21,true,null,"\\u00e9\\u2028"],"b":{"c":12345678901234567000}}'
    )
    with pytest.raises(TypeError):
        dumps_compact({"a": object()})
