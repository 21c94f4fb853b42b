"""A throw-away issuer: real key pairs made in memory, signing assertions with sensible defaults."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

DEFAULT_TEST_ISSUER: Final = "https://issuer.test"
DEFAULT_TEST_AUDIENCE: Final = "https://app.test"
DEFAULT_TEST_SUBJECT: Final = "test-user"
#: Seconds an assertion signed with the default options stays valid.
DEFAULT_EXPIRES_IN: Final = 300
#: The algorithms a test issuer can make keys for.
SUPPORTED_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class _Omit:
    """The type of `OMIT`."""

    _instance: _Omit | None = None

    def __new__(cls) -> _Omit:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "OMIT"


#: A claim (or header member) set to OMIT is left out: `issuer.sign(exp=OMIT)` has no `exp` at all.
OMIT: Final = _Omit()

_CURVES: Final[Mapping[str, type[ec.EllipticCurve]]] = {
    "ES256": ec.SECP256R1,
    "ES384": ec.SECP384R1,
    "ES512": ec.SECP521R1,
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _new_private_key(alg: str, rsa_bits: int) -> Any:
    if alg.startswith(("RS", "PS")):
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(_CURVES[alg]())


@dataclass
class TestKey:
    """One key pair of a test issuer. `public_jwk` is what the key set publishes (kid, alg, use: sig)."""

    __test__ = False  # not a pytest test class

    kid: str
    alg: str
    private_key: Any
    public_jwk: dict[str, Any]
    current: bool = False
    revoked: bool = False


def _without_omitted(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not OMIT}


class TestIssuer:
    """An identity-aware proxy's signing side, for tests only; keys never leave memory.

    ``issuer = TestIssuer(audience="my-app")`` then ``issuer.sign(groups=["admins"])``. Defaults: `iss`
    https://issuer.test, `aud` https://app.test, `sub` test-user, `iat` now, `exp` now + 300 s (seconds).
    `algorithms`: a key is made for each (first signs by default); one of SUPPORTED_ALGORITHMS.

    Raises:
        ValueError: an unsupported algorithm.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        *,
        issuer: str = DEFAULT_TEST_ISSUER,
        audience: str | Sequence[str] = DEFAULT_TEST_AUDIENCE,
        subject: str = DEFAULT_TEST_SUBJECT,
        algorithms: Sequence[str] = ("ES256",),
        kid_prefix: str = "test-",
        default_claims: Mapping[str, Any] | None = None,
        jwks_url: str | None = None,
        rsa_bits: int = 2048,
    ) -> None:
        if not algorithms:
            raise ValueError("a test issuer needs at least one algorithm")
        for alg in algorithms:
            if alg not in SUPPORTED_ALGORITHMS:
                raise ValueError(f"unsupported algorithm {alg}; use one of {', '.join(SUPPORTED_ALGORITHMS)}")
        self.issuer = issuer
        self.audience: str | list[str] = audience if isinstance(audience, str) else list(audience)
        self.subject = subject
        self.default_claims = dict(default_claims or {})
        self.jwks_url = jwks_url if jwks_url is not None else f"{issuer.rstrip('/')}/.well-known/jwks.json"
        self.discovery_url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
        self._kid_prefix = kid_prefix
        self._rsa_bits = rsa_bits
        self._serial = 0
        self.keys: list[TestKey] = []
        for alg in algorithms:
            self._add_key(alg)
        self._make_current(self.keys[0])

    # -- keys ---------------------------------------------------------------------------------------

    def _add_key(self, alg: str) -> TestKey:
        self._serial += 1
        kid = f"{self._kid_prefix}{alg.lower()}-{self._serial}"
        private_key = _new_private_key(alg, self._rsa_bits)
        public_jwk = dict(get_default_algorithms()[alg].to_jwk(private_key.public_key(), as_dict=True))
        public_jwk.update({"kid": kid, "alg": alg, "use": "sig"})
        key = TestKey(kid=kid, alg=alg, private_key=private_key, public_jwk=public_jwk)
        self.keys.append(key)
        return key

    def _make_current(self, key: TestKey) -> None:
        for other in self.keys:
            other.current = other is key

    @property
    def current_key(self) -> TestKey:
        return next(key for key in self.keys if key.current)

    @property
    def current_kid(self) -> str:
        return self.current_key.kid

    def key(self, kid: str) -> TestKey:
        """The key with this `kid` (revoked ones too). Raises KeyError for an unknown kid."""
        for key in self.keys:
            if key.kid == kid:
                return key
        raise KeyError(kid)

    def rotate(self, alg: str | None = None) -> str:
        """Adds a key (default: the current key's algorithm), makes it current and returns its kid.
        The old key stays published until `revoke`d."""
        key = self._add_key(alg or self.current_key.alg)
        self._make_current(key)
        return key.kid

    def revoke(self, kid: str) -> None:
        """Stops publishing a key; it can still sign with `sign(..., kid=kid)` to test a revoked key."""
        self.key(kid).revoked = True

    def jwks(self) -> dict[str, Any]:
        """`{"keys": [...]}`: the public JWKs of every unrevoked key, a fresh copy each call."""
        return {"keys": [dict(key.public_jwk) for key in self.keys if not key.revoked]}

    def openid_configuration(self) -> dict[str, Any]:
        """OpenID Provider metadata pointing at this issuer's `jwks_url`."""
        return {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_url,
            "id_token_signing_alg_values_supported": sorted({key.alg for key in self.keys}),
        }

    # -- assertions ---------------------------------------------------------------------------------

    def claims(self, overrides: Mapping[str, Any] | None = None, *, now: float | None = None) -> dict[str, Any]:
        """The payload `sign` would use: iss, aud, sub, iat, exp, the default claims, then `overrides`
        (a value of OMIT removes the claim). `now`: Unix seconds (default: the clock)."""
        issued = int(time.time() if now is None else now)
        base: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": self.subject,
            "iat": issued,
            "exp": issued + DEFAULT_EXPIRES_IN,
            **self.default_claims,
            **(overrides or {}),
        }
        return _without_omitted(base)

    def sign(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        kid: str | None = None,
        alg: str | None = None,
        now: float | None = None,
        header: Mapping[str, Any] | None = None,
        **claim_overrides: Any,
    ) -> str:
        """A compact JWS (JWT) over `claims()` with the header `{alg, kid, typ: "JWT"}`.

        ``issuer.sign(email="ada@example.com", groups=["admins"])``; `claims` (a mapping) and keyword claims
        both override the defaults, keywords last. `kid` picks exactly that key (even a revoked one), `alg`
        the newest unrevoked key of that algorithm; `header` members are written over the default header
        (OMIT removes one) while the signature stays the chosen key's own.
        """
        key = self._signing_key(kid, alg)
        payload = self.claims({**(claims or {}), **claim_overrides}, now=now)
        protected = _without_omitted({"alg": key.alg, "kid": key.kid, "typ": "JWT", **(header or {})})
        return self.sign_raw(protected, payload, kid=key.kid)

    def make_assertion(self, **claims: Any) -> str:
        """`sign(**claims)`: an assertion the proxy would forward, e.g. ``make_assertion(sub="ann")``."""
        return self.sign(**claims)

    def sign_raw(
        self, header: Mapping[str, Any] | str, payload: Mapping[str, Any] | str, *, kid: str | None = None
    ) -> str:
        """A compact JWS over exactly these bytes: strings are used verbatim (to forge malformed JSON), mappings
        are JSON-encoded. The signature is real, made with the key named by `kid` (default: the header's kid,
        else the current key) using that key's algorithm, whatever the header says."""
        if kid is None and not isinstance(header, str) and isinstance(header.get("kid"), str):
            known = {key.kid for key in self.keys}
            kid = header["kid"] if header["kid"] in known else None
        key = self._signing_key(kid, None)
        header_text = header if isinstance(header, str) else json.dumps(dict(header), separators=(",", ":"))
        payload_text = payload if isinstance(payload, str) else json.dumps(dict(payload), separators=(",", ":"))
        signing_input = f"{_b64url(header_text.encode())}.{_b64url(payload_text.encode())}"
        signature = get_default_algorithms()[key.alg].sign(signing_input.encode("ascii"), key.private_key)
        return f"{signing_input}.{_b64url(signature)}"

    def _signing_key(self, kid: str | None, alg: str | None) -> TestKey:
        if kid is not None:
            return self.key(kid)
        if alg is not None:
            candidates = [key for key in self.keys if key.alg == alg and not key.revoked]
            if not candidates:
                raise KeyError(f"no unrevoked {alg} key; call rotate({alg!r}) first")
            return candidates[-1]
        return self.current_key

    def decode_unverified(self, token: str) -> dict[str, Any]:
        """The payload of a token this issuer signed, without checks (for asserting what was sent)."""
        payload: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        return payload
