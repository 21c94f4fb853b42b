"""`TrustedProxyAuth`: verifies assertions and requests in the order of contract/checks.json."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from ._compact_jws import ParsedCompactJws, parse_compact_jws
from ._key_set import KeyMember, fits_algorithm
from ._key_store import EventListener, KeyStatus, KeyStore
from ._scheduler import Scheduler
from ._text import utf8_length
from .addresses import is_trusted_peer
from .claims import check_claims, check_user_policy
from .config import TrustedProxyAuthConfig, load_config
from .errors import TrustedProxyAuthError
from .identity import Identity, map_identity
from .request_headers import HeadersInput, check_required_headers, extract_assertion

_Result = TypeVar("_Result", Identity, Identity | None)


class TrustedProxyAuth:
    """Verifies the signed identity assertion an identity-aware proxy forwards.

    One instance per application: it caches the proxy's keys. The `a`-prefixed twins never block the
    event loop (keys are fetched with httpx.AsyncClient). Every rejection is a TrustedProxyAuthError
    whose `code` and `status` come from contract/errors.json.
    """

    def __init__(
        self,
        config: TrustedProxyAuthConfig | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        on_event: EventListener | None = None,
        clock: Callable[[], float] = time.time,
        scheduler: Scheduler | None = None,
        random_source: Callable[[], float] | None = None,
    ) -> None:
        """`config` defaults to `load_config()` (the environment). The keys start loading in the background
        at once (daemon timer threads; `close()` stops refreshes).

        `transport`/`async_transport` replace httpx's network transports (tests); `on_event` receives dicts
        for logs and metrics (never the assertion, claims or key material); `clock` (seconds), `scheduler`
        and `random_source` (jitter, 0..1) make the key cache's timing exact in tests."""
        self.config = config if config is not None else load_config()
        self._on_event = on_event
        self._keys = KeyStore(
            self.config.jwks_url,
            timeout=self.config.jwks_timeout,
            cache_ttl=self.config.jwks_cache_ttl,
            cooldown=self.config.jwks_cooldown,
            max_stale=self.config.jwks_max_stale,
            clock=clock,
            transport=transport,
            async_transport=async_transport,
            on_event=self._emit,
            scheduler=scheduler,
            **({"random_source": random_source} if random_source is not None else {}),
        )
        self._keys.start()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> TrustedProxyAuth:
        """`TrustedProxyAuth(load_config(env, **overrides))`."""
        return cls(load_config(env, **overrides))

    # -- verification -------------------------------------------------------------------------------

    def verify_assertion(self, token: str, now: float | None = None) -> Identity:
        """Verifies one assertion string: the identity, or a TrustedProxyAuthError."""
        return self._observe(lambda: self._verify_sync(token, now))

    def verify_request(
        self, headers: HeadersInput, remote_addr: str | None = None, now: float | None = None
    ) -> Identity | None:
        """Applies every request rule, then verifies. `remote_addr` is the socket peer, never a forwarded
        address. Returns None only in mode `optional` when the request carries no assertion."""

        def work() -> Identity | None:
            token = self._token_from_request(headers, remote_addr)
            return None if token is None else self._verify_sync(token, now)

        return self._observe(work)

    async def averify_assertion(self, token: str, now: float | None = None) -> Identity:
        try:
            return self._succeeded(await self._verify_async(token, now))
        except TrustedProxyAuthError as error:
            self._failed(error)
            raise

    async def averify_request(
        self, headers: HeadersInput, remote_addr: str | None = None, now: float | None = None
    ) -> Identity | None:
        try:
            token = self._token_from_request(headers, remote_addr)
            identity = None if token is None else await self._verify_async(token, now)
        except TrustedProxyAuthError as error:
            self._failed(error)
            raise
        return self._succeeded(identity) if identity is not None else None

    # -- keys ---------------------------------------------------------------------------------------

    def ready(self) -> None:
        """Loads the keys now (raises `jwks_unavailable` if they cannot be had); call it at start-up."""
        self._keys.load()

    async def aready(self) -> None:
        await self._keys.aload()

    def status(self) -> KeyStatus:
        return self._keys.status()

    def close(self) -> None:
        """Stops background key refreshes and retries."""
        self._keys.close()

    # -- internals ----------------------------------------------------------------------------------

    def _emit(self, event: dict[str, Any]) -> None:
        if self._on_event is None:
            return
        # A failing log or metrics hook must never decide whether a request is authenticated.
        with contextlib.suppress(Exception):
            self._on_event(event)

    def _succeeded(self, identity: Identity) -> Identity:
        self._emit({"type": "verify_ok", "subject": identity.subject, "issuer": identity.issuer})
        return identity

    def _failed(self, error: TrustedProxyAuthError) -> None:
        self._emit({"type": "verify_failed", "code": error.code})

    def _observe(self, work: Callable[[], _Result]) -> _Result:
        try:
            identity = work()
        except TrustedProxyAuthError as error:
            self._failed(error)
            raise
        if identity is not None:
            self._succeeded(identity)
        return identity

    def _token_from_request(self, headers: HeadersInput, remote_addr: str | None) -> str | None:
        config = self.config
        if config.trusted_addresses and not is_trusted_peer(remote_addr, config.trusted_addresses):
            raise TrustedProxyAuthError("untrusted_source")
        check_required_headers(headers, config.required_headers)
        token = extract_assertion(headers, config.assertion_header)
        if token is None and config.mode != "optional":
            raise TrustedProxyAuthError("missing_assertion")
        return token

    def _parse(self, token: str) -> tuple[ParsedCompactJws, str, str | None]:
        """Stages size, syntax and header_policy."""
        if token == "":
            raise TrustedProxyAuthError("missing_assertion")
        if utf8_length(token) > self.config.max_assertion_bytes:
            raise TrustedProxyAuthError("assertion_too_large")
        parsed = parse_compact_jws(token)
        if parsed is None:
            raise TrustedProxyAuthError("malformed_assertion")
        header = parsed.protected_header
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise TrustedProxyAuthError("malformed_assertion")
        if alg not in self.config.algorithms:
            raise TrustedProxyAuthError("unsupported_algorithm")
        if "b64" in header or "crit" in header:
            raise TrustedProxyAuthError("malformed_assertion")
        kid = header.get("kid")
        if "kid" in header and not isinstance(kid, str):
            raise TrustedProxyAuthError("malformed_assertion")
        return parsed, alg, kid

    @staticmethod
    def _check_signature(parsed: ParsedCompactJws, alg: str, members: list[KeyMember]) -> None:
        candidates = [member for member in members if fits_algorithm(member.jwk, alg)]
        if not candidates:
            raise TrustedProxyAuthError("unknown_key")
        if not any(member.verifies(alg, parsed.signing_input, parsed.signature) for member in candidates):
            raise TrustedProxyAuthError("invalid_signature")

    def _finish(self, parsed: ParsedCompactJws, now: float | None) -> Identity:
        """Stages claim_types .. user_policy, after the signature verified."""
        check_claims(parsed.payload, self.config, time.time() if now is None else now)
        identity = map_identity(parsed.payload, self.config)
        check_user_policy(identity, self.config)
        return identity

    def _verify_sync(self, token: str, now: float | None) -> Identity:
        parsed, alg, kid = self._parse(token)
        self._check_signature(parsed, alg, self._keys.members_for(kid))
        return self._finish(parsed, now)

    async def _verify_async(self, token: str, now: float | None) -> Identity:
        parsed, alg, kid = self._parse(token)
        self._check_signature(parsed, alg, await self._keys.amembers_for(kid))
        return self._finish(parsed, now)
