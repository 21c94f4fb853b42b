"""Where the verification keys come from, fixed at configuration time, and what every source offers the
verifier (stages key_lookup and signature of contract/checks.json)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from trusted_proxy_auth._compact_jws import ParsedCompactJws
    from trusted_proxy_auth._key_store import KeyStatus


@dataclass(frozen=True)
class JwksSource:
    """A JSON Web Key Set at a configured (or preset-derived) URL."""

    url: str
    kind: Literal["jwks"] = "jwks"


@dataclass(frozen=True)
class DiscoverySource:
    """A key set whose URL is found by OpenID Connect Discovery from the one configured issuer."""

    issuer: str
    discovery_url: str
    kind: Literal["discovery"] = "discovery"


@dataclass(frozen=True)
class KidTemplateSource:
    """One PEM public key per `kid`, at `template` with `{kid}` replaced by the assertion's (UUID) kid."""

    template: str
    key_format: Literal["pem-spki"] = "pem-spki"
    kind: Literal["kidTemplate"] = "kidTemplate"


@dataclass(frozen=True)
class JwksFileSource:
    """option `jwksFile`: a local key set file, re-read when it changes."""

    path: str
    kind: Literal["jwksFile"] = "jwksFile"


@dataclass(frozen=True)
class InlineJwksSource:
    """option `jwks`: a key set given inline in the configuration (checked when it loads)."""

    keys: tuple[Mapping[str, Any], ...]
    kind: Literal["inlineJwks"] = "inlineJwks"


@dataclass(frozen=True)
class SharedSecretSource:
    """An HMAC secret from the configuration (never held here); no key is ever fetched."""

    kind: Literal["sharedSecret"] = "sharedSecret"


KeySource = JwksSource | DiscoverySource | JwksFileSource | InlineJwksSource | KidTemplateSource | SharedSecretSource


class SignatureKeys(Protocol):
    """Stages key_lookup and signature, whatever the keys' origin."""

    def start(self) -> None:
        """Starts loading keys in the background, when the source has anything to load before a request."""

    def load(self, timeout: float | None = None) -> None:
        """Returns once keys are usable (at once when nothing can be loaded ahead); raises jwks_unavailable
        after a failed load or `timeout` seconds (default: the fetch timeout)."""

    async def aload(self, timeout: float | None = None) -> None: ...

    def status(self) -> KeyStatus: ...

    def freshness(self) -> tuple[bool, float | None]:
        """What `status()` says about `state == "ready"` and `last_success_at` (seconds since the epoch), without
        building a KeyStatus: the verified-assertion cache asks on every request."""

    def close(self) -> None: ...

    def verify(self, jws: ParsedCompactJws, alg: str, kid: str | None) -> None:
        """Returns when a candidate key verifies the signature; raises unknown_key, invalid_signature or
        jwks_unavailable."""

    async def averify(self, jws: ParsedCompactJws, alg: str, kid: str | None) -> None: ...
