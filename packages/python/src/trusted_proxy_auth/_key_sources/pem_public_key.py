"""A PEM answer of a per-kid key host (jwksUrlRules `kidTemplate`, keyFormat `pem-spki`) as a key-set member."""

from __future__ import annotations

import re
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from trusted_proxy_auth._key_fetch import FetchFailure
from trusted_proxy_auth._key_material import key_material_problem
from trusted_proxy_auth._text import js_trim

#: One SubjectPublicKeyInfo block and nothing else (surrounding whitespace aside): a private key or a
#: second block is refused.
_ONE_PUBLIC_KEY_BLOCK = re.compile(
    r"-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----", re.ASCII
)
_EC_CURVES = (ec.SECP256R1.name, ec.SECP384R1.name, ec.SECP521R1.name)
_PUBLIC_MEMBERS = ("kty", "crv", "x", "y", "n", "e")


def _jwk_of(key: object) -> dict[str, Any]:
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _EC_CURVES:
        return ECAlgorithm.to_jwk(key, as_dict=True)
    if isinstance(key, rsa.RSAPublicKey):
        return RSAAlgorithm.to_jwk(key, as_dict=True)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return OKPAlgorithm.to_jwk(key, as_dict=True)
    raise FetchFailure("not a supported public key")


def public_jwk_from_pem(body: bytes, kid: str) -> dict[str, Any]:
    """The public key as a JWK with `kid` = the assertion's kid and no alg/use/key_ops, so the usual
    usability rules of stage key_lookup decide whether it fits the assertion's `alg`. Raises FetchFailure
    when the text is not exactly one supported public key, or when that key fails the key material rules
    (contract/checks.json `keyUsability`): the one key published for the kid is unusable, which the key
    host must fix."""
    pem = js_trim(body.decode("utf-8", errors="replace"))
    if _ONE_PUBLIC_KEY_BLOCK.fullmatch(pem) is None:
        raise FetchFailure("not one PEM public key")
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise FetchFailure("not a supported public key") from None
    jwk = _jwk_of(key)
    member = {name: jwk[name] for name in _PUBLIC_MEMBERS if name in jwk}
    if key_material_problem(member) is not None:
        raise FetchFailure("not a usable public key")
    member["kid"] = kid
    return member
