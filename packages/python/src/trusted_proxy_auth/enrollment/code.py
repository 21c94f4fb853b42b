"""The one-time enrollment code (contract/enrollment.json `enrollmentCode`)."""

from __future__ import annotations

import hashlib
import hmac
import re
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


def _normalised(code: str) -> str:
    """What a person may type: case, spaces and hyphens do not matter."""
    return re.sub(r"[\s-]", "", code).upper()


def enrollment_code_matches(expected: str, given: str) -> bool:
    """Whether `given` is the code `expected`, compared in constant time (hmac.compare_digest of the SHA-256
    digests, so neither the length nor the position of the first difference shows in the timing). Case, spaces
    and hyphens are ignored. An empty expected code matches nothing."""
    if expected == "":
        return False
    digest_expected = hashlib.sha256(_normalised(expected).encode("utf-8")).digest()
    digest_given = hashlib.sha256(_normalised(given).encode("utf-8")).digest()
    return hmac.compare_digest(digest_expected, digest_given)
