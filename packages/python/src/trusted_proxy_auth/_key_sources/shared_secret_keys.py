"""Quirk sharedSecretHS256 (preset authentik): the configured secret is the single candidate and nothing is
ever fetched."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jwt.algorithms import HMACAlgorithm

from trusted_proxy_auth._key_store import KeyStatus
from trusted_proxy_auth._quirks.shared_secret_hs256 import SHARED_SECRET_ALGORITHM, shared_secret_key
from trusted_proxy_auth.errors import TrustedProxyAuthError

if TYPE_CHECKING:
    from trusted_proxy_auth._compact_jws import ParsedCompactJws


class SharedSecretKeys:
    """The header policy already refused every `alg` but HS256; a `kid` is ignored. The HMAC comparison is
    PyJWT's (constant time). The secret is never part of a status, event or message."""

    __slots__ = ("_algorithm", "_key")

    def __init__(self, secret: str) -> None:
        self._key = shared_secret_key(secret)
        self._algorithm = HMACAlgorithm(HMACAlgorithm.SHA256)

    def __repr__(self) -> str:
        return "SharedSecretKeys()"

    def start(self) -> None:
        return

    def load(self, timeout: float | None = None) -> None:
        return

    async def aload(self, timeout: float | None = None) -> None:
        return

    def close(self) -> None:
        return

    def freshness(self) -> tuple[bool, float | None]:
        return True, None

    def status(self) -> KeyStatus:
        return KeyStatus(
            state="ready",
            key_count=1,
            last_fetch_at=None,
            last_success_at=None,
            last_error=None,
            next_retry_at=None,
            fetch_count=0,
        )

    def verify(self, jws: ParsedCompactJws, alg: str, kid: str | None) -> None:
        # The key is the raw secret bytes: PyJWT's HMAC verification computes the MAC and compares it
        # with hmac.compare_digest.
        if alg != SHARED_SECRET_ALGORITHM or not self._algorithm.verify(jws.signing_input, self._key, jws.signature):
            raise TrustedProxyAuthError("invalid_signature")

    async def averify(self, jws: ParsedCompactJws, alg: str, kid: str | None) -> None:
        self.verify(jws, alg, kid)
