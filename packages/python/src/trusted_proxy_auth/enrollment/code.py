"""The one-time enrollment code (contract/enrollment.json `enrollmentCode`)."""

from __future__ import annotations

import hmac
import secrets
from functools import cache

from trusted_proxy_auth._contract import read_contract_file


@cache
def _code_rules() -> tuple[str, int]:
    rules = read_contract_file("enrollment.json")["enrollmentCode"]
    return str(rules["alphabet"]), int(rules["length"])


def create_enrollment_code() -> str:
    """A new code: `length` characters drawn with the CSPRNG (`secrets`) from the contract's alphabet (no
    0/O or 1/I/L to misread)."""
    alphabet, length = _code_rules()
    return "".join(secrets.choice(alphabet) for _ in range(length))


def enrollment_code_matches(expected: str, given: str) -> bool:
    """Whether `given` is the code, compared in constant time (hmac.compare_digest). Surrounding white space
    is ignored and letters are compared in upper case, so a code typed from a log line still matches."""
    normalised = given.strip().upper()
    return hmac.compare_digest(expected.encode("utf-8"), normalised.encode("utf-8"))
