"""`TrustedProxyAuth`: verifies assertions and requests in the order of contract/checks.json."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ._compact_jws import ParsedCompactJws, parse_compact_jws
from ._contract import setting_name
from ._detail_text import quoted, quoted_list
from ._events import EventListener, emit
from ._key_sources.jwks_keys import JwksKeys
from ._key_sources.key_source import (
    DiscoverySource,
    InlineJwksSource,
    JwksFileSource,
    JwksSource,
    KidTemplateSource,
    SharedSecretSource,
    SignatureKeys,
)
from ._key_sources.kid_template_keys import KidTemplateKeys, KidTemplateKeyStore
from ._key_sources.local_key_store import LocalKeyStore
from ._key_sources.shared_secret_keys import SharedSecretKeys
from ._key_store import JITTER, KeyStatus, KeyStore
from ._logging import event_logger, log_start, logger
from ._quirks.registry import quirk_stages_for
from ._scheduler import Scheduler
from ._shared import shared_verifier
from ._text import utf8_length
from ._user_policy import check_user_policy
from ._verified_cache import CacheCounts, CachedVerification, VerifiedAssertionCache
from .addresses import IPNetwork, is_trusted_peer
from .claims import claim_check_for, passing_times
from .config import TrustedProxyAuthConfig, load_config
from .errors import TrustedProxyAuthError
from .identity import Identity, map_identity
from .request_headers import HeadersInput, assertion_text, assertion_under, check_required_headers, lookup_names


def _now_seconds() -> float:
    """The system clock in seconds, to the millisecond like JavaScript's Date.now() / 1000: details that print
    "now" are then byte-identical in both languages."""
    return time.time_ns() // 1_000_000 / 1000


class _NotReady:
    """The key source is not fresh: no verification made now may be remembered."""


_NOT_READY = _NotReady()

#: An identity and whether a remembered verification answered (a cache hit).
_Verified = tuple[Identity, bool]


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
        logs: bool = True,
    ) -> None:
        """`config` defaults to `load_config()` (the environment). Creating the verifier does no I/O and
        starts no thread, so it is safe to create before a server forks its workers (gunicorn --preload,
        uWSGI without lazy-apps, multiprocessing): keys load on first use in the process that uses them
        (`ready()`, the first request, or `start()`), and a forked child never inherits a fetch half-done.

        `transport`/`async_transport` replace httpx's network transports (tests); `on_event` receives dicts
        for logs and metrics (never the assertion, claims or key material); `clock` (seconds), `scheduler`
        and `random_source` (jitter, 0..1) make the key cache's timing exact in tests. `logs=False` writes no
        start-up line and no event to the `trusted_proxy_auth` logger (the enrollment checks' one-off verifiers)."""
        self.config = config if config is not None else load_config()
        self._on_event = on_event
        self._log_event = event_logger() if logs else None
        #: True once `close()` was called (a shared verifier is then rebuilt on next use).
        self.closed = False
        if logs:
            log_start(self.config)
        #: The preset's quirks plugged into the stages; the stages never ask which proxy they serve.
        self._stages = quirk_stages_for(self.config)
        #: One (configuration, keys) per issuer entry: the configuration itself with one key source.
        self._units: list[tuple[TrustedProxyAuthConfig, SignatureKeys]] = [
            (
                unit_config,
                self._signature_keys(
                    unit_config,
                    clock=clock,
                    transport=transport,
                    async_transport=async_transport,
                    scheduler=scheduler,
                    random_source=random_source,
                ),
            )
            for unit_config in _issuer_units(self.config)
        ]
        #: The claim stages of each issuer entry, built once (its configuration and the quirks' plugs settled).
        self._claim_checks = tuple(claim_check_for(unit_config, self._stages) for unit_config, _ in self._units)
        self._unit_by_issuer = {entry.issuer: index for index, entry in enumerate(self.config.issuers)}
        self._keys = self._units[0][1]
        self._cache = VerifiedAssertionCache(self.config.cache_size) if self.config.cache_size > 0 else None
        self._unit_configs = tuple(unit_config for unit_config, _ in self._units)
        # Read by every request (_request_hit); the configuration is frozen, so prepared once.
        config = self.config
        self._trusted_addresses = config.trusted_addresses
        self._required_headers = config.required_headers
        self._assertion_header = config.assertion_header
        self._assertion_names = lookup_names(config.assertion_header)
        self._optional = config.mode == "optional"
        self._freshness_probes = tuple(_freshness_probe(keys) for _, keys in self._units)
        self._peer_verdicts: dict[str, bool] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> TrustedProxyAuth:
        """`TrustedProxyAuth(load_config(env, **overrides))`."""
        return cls(load_config(env, **overrides))

    @classmethod
    def shared(cls, config: TrustedProxyAuthConfig | None = None) -> TrustedProxyAuth:
        """The one verifier for this effective configuration (default: the environment's), shared with every
        adapter that asks for the same: one key fetch and one refresh loop however many apps or middlewares
        use it. Its `close()` stops it for all of them."""
        return shared_verifier(config if config is not None else load_config(), TrustedProxyAuth)

    # -- verification -------------------------------------------------------------------------------

    def verify_assertion(self, token: str | bytes, now: float | None = None) -> Identity:
        """Verifies one assertion (text, or bytes read as ISO-8859-1 like a header value): the identity, or a
        TrustedProxyAuthError."""
        try:
            identity, cached = self._verify_sync(assertion_text(token), now)
        except TrustedProxyAuthError as error:
            self._failed(error)
            raise
        return self._succeeded(identity, cached)

    def verify_request(
        self, headers: HeadersInput, remote_addr: str | None = None, now: float | None = None
    ) -> Identity | None:
        """Applies every request rule, then verifies. `remote_addr` is the socket peer, never a forwarded
        address. Returns None only in mode `optional` when the request carries no assertion."""
        found = self._request_hit(headers, remote_addr, now)
        if found.__class__ is not str:
            return found  # type: ignore[return-value]  # a hit, or None: no assertion in mode optional
        try:
            identity = self._verify_uncached_sync(found, now)
        except TrustedProxyAuthError as error:
            self._failed(error)
            raise
        return self._succeeded(identity, False)

    async def averify_assertion(self, token: str | bytes, now: float | None = None) -> Identity:
        """`verify_assertion` without blocking the event loop on a key fetch."""
        try:
            return self._succeeded(*await self._verify_async(assertion_text(token), now))
        except TrustedProxyAuthError as error:
            self._failed(error)
            raise

    async def averify_request(
        self, headers: HeadersInput, remote_addr: str | None = None, now: float | None = None
    ) -> Identity | None:
        """`verify_request` without blocking the event loop on a key fetch."""
        found = self._request_hit(headers, remote_addr, now)
        if found.__class__ is not str:
            return found  # type: ignore[return-value]  # a hit, or None: no assertion in mode optional
        return await self._averify_missed(found, now)

    def _request_hit(self, headers: HeadersInput, remote_addr: str | None, now: float | None) -> Identity | str | None:
        """What `verify_request` decides without a verification: every request rule, the assertion, and the
        verified-assertion cache. The identity of a cache hit (its `verify_ok` event sent); else the assertion
        (a str) to verify in full with `_averify_missed` or `_verify_uncached_sync` (a miss, counted, or the
        cache is off); None in mode `optional` without an assertion.

        Every request of an app passes here, so it is one frame for the whole hit, its settings read from
        attributes prepared once (the configuration is frozen). The ASGI middleware calls it directly, without
        a coroutine for a hit.

        Raises:
            TrustedProxyAuthError: a request rule, the header, or a time check of a hit failed (its
                `verify_failed` event sent).
        """
        try:
            trusted = self._trusted_addresses
            if trusted:
                verdict = self._peer_verdicts.get(remote_addr)  # type: ignore[arg-type]
                if verdict is None:
                    verdict = self._judge_peer(remote_addr, trusted)
                if not verdict:
                    raise _untrusted_source(remote_addr)
            if self._required_headers:
                check_required_headers(headers, self._required_headers)
            token = assertion_under(headers, self._assertion_header, *self._assertion_names)
            if token is None:
                if self._optional:
                    return None
                raise self._missing_assertion()
            cache = self._cache
            if cache is None:
                return token
            if not cache.may_hold(token):
                # Most misses (assertions minted per request): no freshness probe, clock or lookup.
                cache.miss()
                return token
            probes = self._freshness_probes
            # Asked before the cache's lock is taken (a key source may read a file or emit events to hooks).
            freshness = (probes[0](),) if len(probes) == 1 else tuple(probe() for probe in probes)
            entry = cache.lookup(
                token, time.time_ns() // 1_000_000 / 1000 if now is None else now, freshness, self._unit_configs
            )
        except TrustedProxyAuthError as error:
            self._failed(error)
            raise
        if entry is None:
            return token
        identity = entry.identity
        # The one event of every successful request: built only when someone takes it (see _succeeded).
        if self._on_event is not None or logger.isEnabledFor(logging.DEBUG):
            self._emit({"type": "verify_ok", "subject": identity.subject, "issuer": identity.issuer, "cached": True})
        return identity

    async def _averify_missed(self, token: str, now: float | None = None) -> Identity:
        """The full verification of an assertion `_request_hit` did not find in the cache (or the cache is off),
        with its events; remembered when it passes. For the adapters only.

        Raises:
            TrustedProxyAuthError: the verification failed (its `verify_failed` event sent).
        """
        try:
            identity = await self._verify_uncached_async(token, now)
        except TrustedProxyAuthError as error:
            self._failed(error)
            raise
        return self._succeeded(identity, False)

    def _judge_peer(self, remote_addr: str | None, trusted: tuple[IPNetwork, ...]) -> bool:
        """Whether the peer is trusted, remembered per peer text: behind a proxy every request comes from the
        same few addresses, and parsing one costs more than the rest of a cache hit. Bounded: forgotten
        wholesale when full."""
        verdict = is_trusted_peer(remote_addr, trusted)
        if remote_addr is not None:
            verdicts = self._peer_verdicts
            if len(verdicts) >= _PEER_VERDICTS:
                verdicts.clear()
            verdicts[remote_addr] = verdict
        return verdict

    # -- keys ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Starts loading the keys in the background of this process (a daemon timer thread) without
        waiting. Optional: `ready()` or the first request load them otherwise. In a pre-fork server call it
        in each worker (e.g. gunicorn's `post_fork`), never in the parent before the fork."""
        for _, keys in self._units:
            keys.start()

    def ready(self, timeout: float | None = None) -> None:
        """Returns once a usable key set is loaded; call it at start-up. Without one it fetches now and
        raises `jwks_unavailable` (its `detail` names the cause) as soon as that fetch fails, or when
        `timeout` seconds (default: the configured `jwks_timeout`) pass first. Keys published one per kid, or a
        shared secret, have nothing to load ahead: it returns at once. With several issuers, every entry's keys."""
        for _, keys in self._units:
            keys.load(timeout)

    async def aready(self, timeout: float | None = None) -> None:
        """`ready()` without blocking the event loop."""
        for _, keys in self._units:
            await keys.aload(timeout)

    def status(self) -> KeyStatus:
        """The key cache's state; with several issuers the worst state, summed counts and the first error."""
        return _combined_status([keys.status() for _, keys in self._units])

    def close(self) -> None:
        """Stops background key refreshes and retries."""
        self.closed = True
        for _, keys in self._units:
            keys.close()

    def cache_counts(self) -> CacheCounts:
        """Entries, hits and misses of the verified-assertion cache (all 0 when the cache is off)."""
        return self._cache.counts() if self._cache is not None else CacheCounts(size=0, hits=0, misses=0)

    # -- internals ----------------------------------------------------------------------------------

    def _signature_keys(
        self,
        config: TrustedProxyAuthConfig,
        *,
        clock: Callable[[], float],
        transport: httpx.BaseTransport | None,
        async_transport: httpx.AsyncBaseTransport | None,
        scheduler: Scheduler | None,
        random_source: Callable[[], float] | None,
    ) -> SignatureKeys:
        """The keys the configuration names: a key set (configured or discovered), one key per kid, or a
        shared secret."""
        source = config.key_source
        timing: dict[str, Any] = {
            "timeout": config.jwks_timeout,
            "cache_ttl": config.jwks_cache_ttl,
            "cooldown": config.jwks_cooldown,
            "max_stale": config.jwks_max_stale,
            "clock": clock,
            "transport": transport,
            "async_transport": async_transport,
            "on_event": self._emit,
        }
        if isinstance(source, SharedSecretSource):
            if config.shared_secret is None:
                raise TypeError("the shared-secret key source needs config.shared_secret")
            return SharedSecretKeys(config.shared_secret)
        if isinstance(source, (JwksFileSource, InlineJwksSource)):
            local = LocalKeyStore(
                path=source.path if isinstance(source, JwksFileSource) else None,
                members=source.keys if isinstance(source, InlineJwksSource) else None,
                on_event=self._emit,
                clock=clock,
            )
            return JwksKeys(local, kidless_tries_every_key=self._stages.kidless_tries_every_key)
        if isinstance(source, KidTemplateSource):
            return KidTemplateKeys(KidTemplateKeyStore(source.template, **timing))
        if isinstance(source, (JwksSource, DiscoverySource)):
            store = KeyStore(
                source.url if isinstance(source, JwksSource) else source.discovery_url,
                discovery_issuer=source.issuer if isinstance(source, DiscoverySource) else None,
                scheduler=scheduler,
                **timing,
                random_source=JITTER.random if random_source is None else random_source,
            )
            return JwksKeys(store, kidless_tries_every_key=self._stages.kidless_tries_every_key)
        raise TypeError("the configuration names no key source")

    def _emit(self, event: dict[str, Any]) -> None:
        # Logging failures must not decide authentication any more than a failing hook.
        emit(self._log_event, event)
        emit(self._on_event, event)

    def _succeeded(self, identity: Identity, cached: bool) -> Identity:
        # The one event of every successful request: built only when someone takes it (a hook, or the logger
        # at DEBUG), since a cache hit costs little more than building it.
        if self._on_event is not None or logger.isEnabledFor(logging.DEBUG):
            self._emit({"type": "verify_ok", "subject": identity.subject, "issuer": identity.issuer, "cached": cached})
        return identity

    def _failed(self, error: TrustedProxyAuthError) -> None:
        event: dict[str, Any] = {"type": "verify_failed", "code": error.code}
        if error.detail is not None:
            event["detail"] = error.detail
        self._emit(event)

    def _missing_assertion(self) -> TrustedProxyAuthError:
        return TrustedProxyAuthError(
            "missing_assertion", detail=f"header {quoted(self.config.assertion_header)} is absent or empty"
        )

    def _select_unit(self, payload: Mapping[str, Any]) -> int:
        """`issuers`: the entry named by the payload's `iss`, chosen after the syntax checks and before
        anything else (contract/checks.json stage issuer_selection), so only that issuer's keys are ever looked
        up. With one key source there is one entry, and `iss` is checked with the other claims."""
        if not self.config.issuers:
            return 0
        if "iss" not in payload:
            raise TrustedProxyAuthError("issuer_mismatch", detail='claim "iss" is absent')
        iss = payload["iss"]
        if not isinstance(iss, str):
            raise TrustedProxyAuthError("issuer_mismatch", detail='claim "iss" is not a string')
        index = self._unit_by_issuer.get(iss)
        if index is None:
            issuers = [entry.issuer for entry in self.config.issuers]
            raise TrustedProxyAuthError(
                "issuer_mismatch", detail=f"iss {quoted(iss)} is not one of {quoted_list(issuers)}"
            )
        return index

    def _parse(self, token: str) -> tuple[ParsedCompactJws, str, str | None, int]:
        """Stages size, syntax, issuer_selection and header_policy."""
        if token == "":
            raise self._missing_assertion()
        if utf8_length(token) > self.config.max_assertion_bytes:
            raise TrustedProxyAuthError(
                "assertion_too_large", detail=f"longer than {self.config.max_assertion_bytes} bytes"
            )
        parsed = parse_compact_jws(token, segment=self._stages.segment)
        if parsed is None:
            raise TrustedProxyAuthError("malformed_assertion", detail=_NOT_COMPACT_JWS)
        unit = self._select_unit(parsed.payload)
        algorithms = self._units[unit][0].algorithms
        header = parsed.protected_header
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise TrustedProxyAuthError("malformed_assertion", detail='header member "alg" is missing')
        if alg not in algorithms:
            raise TrustedProxyAuthError(
                "unsupported_algorithm", detail=f"alg {quoted(alg)} is not one of {quoted_list(algorithms)}"
            )
        if "b64" in header or "crit" in header:
            raise TrustedProxyAuthError("malformed_assertion", detail='header member "b64" or "crit" is present')
        kid = header.get("kid")
        if "kid" in header and not isinstance(kid, str):
            raise TrustedProxyAuthError("malformed_assertion", detail='header member "kid" is not a string')
        # Stage key_lookup starts here: a kid a quirk refuses (one that would go into a key URL) is refused
        # before anything is looked up.
        if self._stages.kid_accepted is not None and not self._stages.kid_accepted(kid):
            raise TrustedProxyAuthError("unknown_key", detail=_no_key_detail(kid, alg))
        return parsed, alg, kid, unit

    def _finish(self, parsed: ParsedCompactJws, now: float | None, unit: int) -> Identity:
        """Stages claim_types .. user_policy, after the signature verified."""
        config = self._units[unit][0]
        payload = parsed.payload
        checked = self._claim_checks[unit](parsed.protected_header, payload, _now_seconds() if now is None else now)
        identity = map_identity(payload, checked, email_verified=self._stages.email_verified)
        check_user_policy(identity, config)
        return identity

    def _key_generation(self, unit: int) -> float | _NotReady | None:
        """The key source's state a verification was made under: its last successful load (None for a source
        that loads nothing), or _NOT_READY when it is not fresh now (then nothing is remembered)."""
        ready, last_success_at = self._units[unit][1].freshness()
        return last_success_at if ready else _NOT_READY

    def _from_cache(self, token: str, now: float | None) -> Identity | None:
        """A remembered verification of exactly this assertion, if it may still be used: within the cache's
        maximum age, the key set fresh and not reloaded since, and exp/nbf/iat/max age passing against `now`
        (a time failure is raised like a full verification would, and the entry is dropped)."""
        cache = self._cache
        if cache is None:
            return None
        if not cache.may_hold(token):
            # Most misses (assertions minted per request): no freshness probe, clock or lookup.
            cache.miss()
            return None
        probes = self._freshness_probes
        # Asked before the cache's lock is taken (a key source may read a file or emit events to hooks).
        freshness = (probes[0](),) if len(probes) == 1 else tuple(probe() for probe in probes)
        entry = cache.lookup(token, _now_seconds() if now is None else now, freshness, self._unit_configs)
        return None if entry is None else entry.identity

    def _remember(
        self, token: str, identity: Identity, generation: float | _NotReady | None, now: float | None, unit: int
    ) -> None:
        """Only a full success is remembered (from the assertion's second one), until exp (+ tolerance) or the
        cache's maximum age. A key load
        during the verification (another key set) means the entry would outlive what it was verified under."""
        current = self._key_generation(unit)
        # Nothing loaded before the verification (keys loading, or a kid fetched now): it used what is loaded now.
        verified_under = current if generation is None or isinstance(generation, _NotReady) else generation
        if self._cache is None or isinstance(current, _NotReady) or current != verified_under:
            return
        # Taken in from the assertion's second success (CacheAdmission): nothing is built for the first.
        if not self._cache.admits(token):
            return
        at = _now_seconds() if now is None else now
        unit_config = self._units[unit][0]
        until = min(identity.expires_at + unit_config.clock_tolerance, at + self.config.cache_max_age)
        times_pass = passing_times(identity.claims, identity.expires_at, unit_config)
        self._cache.remember(token, CachedVerification(identity, current, until, unit, *times_pass))

    def _verify_sync(self, token: str, now: float | None) -> _Verified:
        cached = self._from_cache(token, now)
        if cached is not None:
            return cached, True
        return self._verify_uncached_sync(token, now), False

    def _verify_uncached_sync(self, token: str, now: float | None) -> Identity:
        """A full verification (the cache was asked first and had nothing usable); remembered when it passes."""
        parsed, alg, kid, unit = self._parse(token)
        # Read before the keys are used: a load during the verification means another key set.
        generation = self._key_generation(unit)
        try:
            self._units[unit][1].verify(parsed, alg, kid)
        except TrustedProxyAuthError as error:
            raise _with_key_detail(error, kid, alg) from error.__cause__
        identity = self._finish(parsed, now, unit)
        self._remember(token, identity, generation, now, unit)
        return identity

    async def _verify_async(self, token: str, now: float | None) -> _Verified:
        cached = self._from_cache(token, now)
        if cached is not None:
            return cached, True
        return await self._verify_uncached_async(token, now), False

    async def _verify_uncached_async(self, token: str, now: float | None) -> Identity:
        """A full verification (the cache was asked first and had nothing usable); remembered when it passes."""
        parsed, alg, kid, unit = self._parse(token)
        # Read before the keys are used: a load during the verification means another key set.
        generation = self._key_generation(unit)
        try:
            await self._units[unit][1].averify(parsed, alg, kid)
        except TrustedProxyAuthError as error:
            raise _with_key_detail(error, kid, alg) from error.__cause__
        identity = self._finish(parsed, now, unit)
        self._remember(token, identity, generation, now, unit)
        return identity


#: Peers whose trust verdict is remembered at most (`TrustedProxyAuth._judge_peer`).
_PEER_VERDICTS = 1024


def _untrusted_source(remote_addr: str | None) -> TrustedProxyAuthError:
    peer = f"peer {quoted(remote_addr)} is not" if remote_addr else "the peer address is unknown, so not"
    return TrustedProxyAuthError("untrusted_source", detail=f"{peer} in {setting_name('trustedAddresses')}")


def _freshness_probe(keys: SignatureKeys) -> Callable[[], tuple[bool, float | None]]:
    """`keys.freshness`, or the store's own when the keys only pass it on: one call less on every cache hit."""
    if isinstance(keys, (JwksKeys, KidTemplateKeys)):
        return keys.store.freshness
    return keys.freshness


def _issuer_units(config: TrustedProxyAuthConfig) -> list[TrustedProxyAuthConfig]:
    """The configuration each issuer entry verifies under: the entry's issuer, keys, audience, algorithms and clock
    tolerance over the shared settings; with one key source, the configuration itself."""
    if not config.issuers:
        return [config]
    return [
        dataclasses.replace(
            config,
            issuer=(entry.issuer,),
            key_source=entry.key_source,
            audience=entry.audience,
            algorithms=entry.algorithms,
            clock_tolerance=entry.clock_tolerance,
            issuers=(),
        )
        for entry in config.issuers
    ]


_STATE_RANK = {"ready": 0, "stale": 1, "loading": 2, "unavailable": 3}


def _combined_status(statuses: list[KeyStatus]) -> KeyStatus:
    """Several issuers' key states as one: the worst state, summed counts, the first error."""
    if len(statuses) == 1:
        return statuses[0]

    def defined(values: list[float | None]) -> list[float]:
        return [value for value in values if value is not None]

    fetched = defined([status.last_fetch_at for status in statuses])
    succeeded = defined([status.last_success_at for status in statuses])
    retries = defined([status.next_retry_at for status in statuses])
    return KeyStatus(
        state=max((status.state for status in statuses), key=lambda state: _STATE_RANK[state]),
        key_count=sum(status.key_count for status in statuses),
        last_fetch_at=max(fetched) if fetched else None,
        last_success_at=min(succeeded) if succeeded else None,
        last_error=next((status.last_error for status in statuses if status.last_error is not None), None),
        next_retry_at=min(retries) if retries else None,
        fetch_count=sum(status.fetch_count for status in statuses),
    )


_NOT_COMPACT_JWS = "not a compact JWS (three base64url segments with a JSON object header and payload)"


def _kid_text(kid: str | None) -> str:
    return "an assertion without kid" if kid is None else f"kid {quoted(kid)}"


def _no_key_detail(kid: str | None, alg: str) -> str:
    return f"no usable key for {_kid_text(kid)} and alg {quoted(alg)}"


def _with_key_detail(error: TrustedProxyAuthError, kid: str | None, alg: str) -> TrustedProxyAuthError:
    """The key sources say only `unknown_key` or `invalid_signature`; the verifier knows the kid and alg, which
    are all the detail names (contract/errors.json). A detail the key source gave (a key-fetch cause) is kept."""
    if error.detail is not None:
        return error
    if error.code == "unknown_key":
        return TrustedProxyAuthError("unknown_key", detail=_no_key_detail(kid, alg))
    if error.code == "invalid_signature":
        key = "without kid" if kid is None else f"with kid {quoted(kid)}"
        return TrustedProxyAuthError(
            "invalid_signature", detail=f"signature does not verify {key} and alg {quoted(alg)}"
        )
    return error
