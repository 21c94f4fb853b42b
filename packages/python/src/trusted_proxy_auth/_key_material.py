"""Whether the key material of a key-set member is a valid public key of its type
(contract/checks.json `keyUsability`).

Size and encoding rules are checked here, by rule, so that every implementation decides them alike; only
the point-on-curve check is left to the crypto library's import, whose refusal counts as unusable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ._compact_jws import decode_canonical_base64url
from ._roca_fingerprint import has_roca_fingerprint

#: RFC 8017 section 3.1 asks n >= 2048 bits of us (NIST SP 800-131A); above 16384 bits OpenSSL refuses the key.
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 16384

#: Coordinate length in octets (RFC 7518 section 6.2.1.2), field prime (SEC 2 / FIPS 186-4 D.1.2), curve.
_CURVES: dict[str, tuple[int, int, ec.EllipticCurve]] = {
    "P-256": (32, 2**256 - 2**224 + 2**192 + 2**96 - 1, ec.SECP256R1()),
    "P-384": (48, 2**384 - 2**128 - 2**96 + 2**32 - 1, ec.SECP384R1()),
    "P-521": (66, 2**521 - 1, ec.SECP521R1()),
}
_ED25519_OCTETS = 32


def _member(jwk: Mapping[str, Any], name: str) -> bytes | None:
    """Strict base64url (RFC 7515 section 2): URL alphabet only, no padding or whitespace, canonical final bits."""
    value = jwk.get(name)
    return decode_canonical_base64url(value) if isinstance(value, str) else None


def _imports(build: Callable[[], object]) -> bool:
    """Whether `cryptography` (OpenSSL) builds the public key; it refuses, for example, a point off its curve."""
    try:
        build()
    except (ValueError, TypeError):
        return False
    return True


def _rsa_problem(jwk: Mapping[str, Any]) -> str | None:
    n_bytes, e_bytes = _member(jwk, "n"), _member(jwk, "e")
    if n_bytes is None or e_bytes is None:
        return "RSA n or e is not strict base64url"
    # Base64urlUInt (RFC 7518 section 2) asks producers for the minimal octets; a leading zero octet changes
    # no value, so it is tolerated and not counted.
    n = int.from_bytes(n_bytes, "big")
    e = int.from_bytes(e_bytes, "big")
    if n.bit_length() < MIN_RSA_BITS:
        return f"RSA modulus under {MIN_RSA_BITS} bits"
    if n.bit_length() > MAX_RSA_BITS:
        return f"RSA modulus over {MAX_RSA_BITS} bits"
    # RFC 8017 section 3.1: 3 <= e <= n - 1, e odd. e = 1 makes every message its own signature.
    if e < 3 or e % 2 == 0 or e >= n:
        return "RSA exponent is not odd, at least 3 and below n"
    if has_roca_fingerprint(n):
        return "RSA modulus has the ROCA fingerprint (CVE-2017-15361)"
    if not _imports(lambda: rsa.RSAPublicNumbers(e, n).public_key()):
        return "RSA key does not import"
    return None


def _ec_problem(jwk: Mapping[str, Any]) -> str | None:
    crv = jwk.get("crv")
    curve = _CURVES.get(crv) if isinstance(crv, str) else None
    if curve is None:
        return "unsupported curve"
    octets, prime, named_curve = curve
    x_bytes, y_bytes = _member(jwk, "x"), _member(jwk, "y")
    if x_bytes is None or y_bytes is None:
        return "EC x or y is not strict base64url"
    if len(x_bytes) != octets or len(y_bytes) != octets:
        return "EC x or y is not the curve size"
    x, y = int.from_bytes(x_bytes, "big"), int.from_bytes(y_bytes, "big")
    if x >= prime or y >= prime:
        return "EC x or y is not below the field prime"
    if not _imports(lambda: ec.EllipticCurvePublicNumbers(x, y, named_curve).public_key()):
        return "EC point is not on the curve"
    return None


def _okp_problem(jwk: Mapping[str, Any]) -> str | None:
    if jwk.get("crv") != "Ed25519":
        return "unsupported curve"
    x = _member(jwk, "x")
    if x is None:
        return "OKP x is not strict base64url"
    if len(x) != _ED25519_OCTETS:
        return "OKP x is not 32 octets"
    if not _imports(lambda: ed25519.Ed25519PublicKey.from_public_bytes(x)):
        return "OKP key does not import"
    return None


def key_material_problem(jwk: Mapping[str, Any]) -> str | None:
    """Why the public key material of an RSA, EC or OKP member is not a valid public key of its type, or
    None. The reason names the rule, never key material."""
    kty = jwk.get("kty")
    if kty == "RSA":
        return _rsa_problem(jwk)
    if kty == "EC":
        return _ec_problem(jwk)
    if kty == "OKP":
        return _okp_problem(jwk)
    return "unsupported kty"
