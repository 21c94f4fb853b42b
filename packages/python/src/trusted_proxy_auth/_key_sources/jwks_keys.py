"""Keys from a JSON Web Key Set, at a configured URL, found by OpenID discovery, in a local file or inline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from trusted_proxy_auth._key_set import KeyMember, fits_algorithm

from .candidates import raise_unless_verified, try_candidates

if TYPE_CHECKING:
    from trusted_proxy_auth._compact_jws import ParsedCompactJws
    from trusted_proxy_auth._key_store import KeyStatus, KeyStore

    from .local_key_store import LocalKeyStore


def _fitting(members: list[KeyMember], alg: str) -> list[KeyMember]:
    return [member for member in members if fits_algorithm(member.jwk, alg)]


#: The store behind the keys: fetched (KeyStore) or local (LocalKeyStore).
StoreT = TypeVar("StoreT", bound="KeyStore | LocalKeyStore")


class JwksKeys(Generic[StoreT]):
    """With `kidless_tries_every_key` (a key_lookup plug, `_quirk_stages`), a kid-less assertion that no candidate
    verifies causes one cooldown-bounded refetch, so that a rotated key without a kid works at once."""

    def __init__(self, store: StoreT, *, kidless_tries_every_key: bool) -> None:
        self.store = store
        self._kidless_tries_every_key = kidless_tries_every_key

    def start(self) -> None:
        self.store.start()

    def load(self, timeout: float | None = None) -> None:
        self.store.load(timeout)

    async def aload(self, timeout: float | None = None) -> None:
        await self.store.aload(timeout)

    def status(self) -> KeyStatus:
        return self.store.status()

    def freshness(self) -> tuple[bool, float | None]:
        return self.store.freshness()

    def close(self) -> None:
        self.store.close()

    def verify(self, jws: ParsedCompactJws, alg: str, kid: str | None) -> None:
        outcome = try_candidates(jws, alg, _fitting(self.store.members_for(kid), alg))
        if outcome != "verified" and kid is None and self._kidless_tries_every_key:
            self.store.refetch_for_kidless_assertion()
            outcome = try_candidates(jws, alg, _fitting(self.store.members_for(None), alg))
        raise_unless_verified(outcome)

    async def averify(self, jws: ParsedCompactJws, alg: str, kid: str | None) -> None:
        outcome = try_candidates(jws, alg, _fitting(await self.store.amembers_for(kid), alg))
        if outcome != "verified" and kid is None and self._kidless_tries_every_key:
            await self.store.arefetch_for_kidless_assertion()
            outcome = try_candidates(jws, alg, _fitting(await self.store.amembers_for(None), alg))
        raise_unless_verified(outcome)
