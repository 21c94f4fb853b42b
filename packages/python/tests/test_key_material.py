"""Key material rules (contract/checks.json keyUsability) beyond the vectors: the ROCA fingerprint test."""

from __future__ import annotations

import base64
import json

from vectors import VECTOR_DIR

from trusted_proxy_auth._key_material import key_material_problem
from trusted_proxy_auth._roca_fingerprint import has_roca_fingerprint


def _modulus(name: str) -> int:
    jwk = json.loads((VECTOR_DIR / "keys" / f"{name}.json").read_text(encoding="utf-8"))
    return int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=" * (-len(jwk["n"]) % 4)), "big")


def test_roca_fingerprint_found_in_a_roca_form_modulus() -> None:
    assert has_roca_fingerprint(_modulus("test-rsa-roca"))


def test_roca_fingerprint_absent_from_ordinary_moduli() -> None:
    for name in ("test-rsa-a", "test-rsa-b", "test-attacker-rsa", "test-rsa-e3", "test-rsa-2047", "test-rsa-1024"):
        assert not has_roca_fingerprint(_modulus(name)), name


def test_reasons_hold_no_key_material() -> None:
    n = "x" * 10
    for member in (
        {"kty": "RSA", "n": n, "e": "AQ"},
        {"kty": "EC", "crv": "P-256", "x": n, "y": n},
        {"kty": "OKP", "crv": "Ed25519", "x": n},
    ):
        reason = key_material_problem(member)
        assert reason is not None
        assert n not in reason
