"""Which members of a published key set may verify which algorithm (stage `key_lookup`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.algorithms import Algorithm, get_default_algorithms

from ._key_material import key_material_problem

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth")
_CURVE_BY_ALG = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "EdDSA": "Ed25519"}
_RSA_ALG = re.compile(r"(RS|PS)(256|384|512)")


def has_private_material(jwk: Mapping[str, Any]) -> bool:
    return any(member in jwk for member in PRIVATE_MEMBERS)


def unusable_reason(jwk: Mapping[str, Any]) -> str | None:
    """Why a member can never verify anything, or None when it may (for some algorithm): contract/checks.json
    `keyUsability` (member rules, then the key material rules of _key_material.py). The reason is reported
    with the kid, so it must not contain key material."""
    kid, kty, use, key_ops, alg = (jwk.get(name) for name in ("kid", "kty", "use", "key_ops", "alg"))
    reason: str | None = None
    if "kid" in jwk and not isinstance(kid, str):
        reason = "kid is not a string"
    elif kty == "oct":
        reason = "symmetric (oct) keys are never used"
    elif kty not in ("RSA", "EC", "OKP"):
        reason = "unsupported kty"
    elif "use" in jwk and use != "sig":
        reason = "use is not sig"
    elif "key_ops" in jwk and not (isinstance(key_ops, list) and "verify" in key_ops):
        reason = "key_ops lacks verify"
    elif "alg" in jwk and not isinstance(alg, str):
        reason = "alg is not a string"
    elif (material_problem := key_material_problem(jwk)) is not None:
        reason = material_problem
    elif isinstance(alg, str) and not fits_algorithm(jwk, alg):
        reason = "alg does not fit the key type"
    return reason


def fits_algorithm(jwk: Mapping[str, Any], alg: str) -> bool:
    """Whether a (generally usable) member fits the token's `alg`: kty, curve and the member's own alg."""
    if "alg" in jwk and jwk["alg"] != alg:
        return False
    if _RSA_ALG.fullmatch(alg):
        return jwk.get("kty") == "RSA"
    curve = _CURVE_BY_ALG.get(alg)
    if curve is None:
        return False
    return jwk.get("kty") == ("OKP" if alg == "EdDSA" else "EC") and jwk.get("crv") == curve


class KeyMember:
    """One usable published key; its PyJWT key objects are built once per algorithm."""

    __slots__ = ("_keys", "jwk", "kid")

    def __init__(self, jwk: Mapping[str, Any]) -> None:
        self.jwk: dict[str, Any] = dict(jwk)
        kid = jwk.get("kid")
        self.kid: str | None = kid if isinstance(kid, str) else None
        self._keys: dict[str, tuple[Algorithm, Any]] = {}

    def verifies(self, alg: str, signing_input: bytes, signature: bytes) -> bool:
        """Whether the signature verifies with this key; a key PyJWT cannot import verifies nothing."""
        try:
            if alg not in self._keys:
                algorithm = get_default_algorithms()[alg]
                self._keys[alg] = (algorithm, jwt.PyJWK(self.jwk, algorithm=alg).key)
            algorithm, key = self._keys[alg]
            return bool(algorithm.verify(signing_input, key, signature))
        except Exception:  # noqa: BLE001 - any failure of a candidate key means "does not verify"
            return False
