"""The `trusted_proxy_auth` logger: the start-up line with the effective configuration, warnings for risky
settings, key-load outcomes and (at DEBUG) each rejection with its detail. The lines are the ones the
TypeScript core writes; they never carry the assertion, the shared secret or key material.

The log threshold setting (contract option `logThreshold`), when unset, leaves the logger to the application's
logging configuration (without any, Python prints warnings and errors to stderr). When it is set,
the logger gets that level, and a stderr handler if neither it nor the root logger has one, so that the
setting works without code."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from ._contract import setting_name
from ._detail_text import number_text, quoted, quoted_list
from ._key_sources.key_source import (
    DiscoverySource,
    InlineJwksSource,
    JwksFileSource,
    JwksSource,
    KeySource,
    KidTemplateSource,
    SharedSecretSource,
)
from .config import TrustedProxyAuthConfig

LOGGER_NAME = "trusted_proxy_auth"
logger = logging.getLogger(LOGGER_NAME)

#: More clock tolerance than this is worth a warning: an expired assertion stays usable that long.
RISKY_CLOCK_TOLERANCE_SECONDS = 300

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/]*@")
_PLAIN_HTTP_HOST = re.compile(r"^http://(?:[^/@]*@)?([^/?#]*)", re.IGNORECASE)
_LOOPBACK_HOST = re.compile(r"^(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]+)?$", re.IGNORECASE)


def apply_log_level(config: TrustedProxyAuthConfig) -> None:
    """Applies the log level setting to the `trusted_proxy_auth` logger (nothing when it is unset)."""
    if config.log_threshold is None:
        return
    if config.log_threshold == "silent":
        logger.disabled = True
        return
    logger.disabled = False
    logger.setLevel(_LEVELS[config.log_threshold])
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.addHandler(handler)


def loggable_url(url: str) -> str:
    """A URL as it may be logged: without user information, query or fragment (which can carry credentials)."""
    return _USERINFO.sub(r"\1", url.split("#")[0].split("?")[0])


def _key_source_text(source: KeySource | None) -> str:
    if isinstance(source, JwksSource):
        return f"jwks {loggable_url(source.url)}"
    if isinstance(source, DiscoverySource):
        return f"discovery {loggable_url(source.discovery_url)}"
    if isinstance(source, KidTemplateSource):
        return f"pem-per-kid {loggable_url(source.template)}"
    if isinstance(source, JwksFileSource):
        return f"jwks-file {quoted(source.path)}"
    if isinstance(source, InlineJwksSource):
        return f"inline-jwks ({len(source.keys)} keys)"
    if isinstance(source, SharedSecretSource):
        return "shared-secret"
    return "none"


def _issuers_text(config: TrustedProxyAuthConfig) -> str:
    """Option `issuers`: each entry's issuer and key source."""
    return ", ".join(f"{quoted(entry.issuer)}:{_key_source_text(entry.key_source)}" for entry in config.issuers)


def configuration_summary(config: TrustedProxyAuthConfig) -> str:
    """The one start-up line: the effective configuration, never the shared secret or URL credentials."""
    parts = [
        f"preset={config.preset or 'none'}",
        f"header={quoted(config.assertion_header)}",
        *(
            [f"issuers=[{_issuers_text(config)}]"]
            if config.issuers
            else [f"keys={_key_source_text(config.key_source)}", f"issuer={quoted_list(config.issuer)}"]
        ),
        f"audience={quoted_list(config.audience)}",
        f"algorithms={','.join(config.algorithms)}",
        f"mode={config.mode}",
        f"clockTolerance={config.clock_tolerance}s",
        f"maxAge={'none' if config.max_age is None else f'{config.max_age}s'}",
        f"requiredClaims={len(config.required_claims)}",
        f"trustedAddresses={len(config.trusted_addresses)}",
        f"requiredHeaders={len(config.required_headers)}",
        f"allowedUsers={len(config.allowed_users)}",
        f"allowedGroups={len(config.allowed_groups)}",
        f"problemDetail={config.problem_detail}",
    ]
    return "configured: " + " ".join(parts)


def _key_url(source: KeySource | None) -> str | None:
    if isinstance(source, JwksSource):
        return source.url
    if isinstance(source, DiscoverySource):
        return source.discovery_url
    if isinstance(source, KidTemplateSource):
        return source.template
    return None


def risky_settings(config: TrustedProxyAuthConfig) -> list[str]:
    """Warnings for settings that are allowed but weaken the protection; one line each."""
    warnings: list[str] = []
    if config.mode == "optional" and not config.trusted_addresses:
        warnings.append(
            f"{setting_name('mode')}=optional without {setting_name('trustedAddresses')}: a request that bypasses "
            "the proxy is let through unauthenticated"
        )
    if config.clock_tolerance > RISKY_CLOCK_TOLERANCE_SECONDS:
        warnings.append(
            f"{setting_name('clockTolerance')}={config.clock_tolerance} is more than "
            f"{RISKY_CLOCK_TOLERANCE_SECONDS} s: expired assertions stay accepted that long"
        )
    sources = [entry.key_source for entry in config.issuers] if config.issuers else [config.key_source]
    for source in sources:
        key_url = _key_url(source)
        match = None if key_url is None else _PLAIN_HTTP_HOST.match(key_url)
        if key_url is not None and match is not None and not _LOOPBACK_HOST.match(match.group(1)):
            warnings.append(
                f"the key URL {loggable_url(key_url)} is plain http outside loopback: keys can be replaced in transit"
            )
    if isinstance(config.key_source, SharedSecretSource):
        warnings.append(
            "keys=shared-secret: assertions are verified with a shared HS256 secret, so anyone holding it can "
            "mint identities"
        )
    return warnings


def log_start(config: TrustedProxyAuthConfig) -> None:
    """The start-up line (INFO) and a WARNING per risky setting."""
    apply_log_level(config)
    logger.info(configuration_summary(config))
    for warning in risky_settings(config):
        logger.warning(warning)


def event_logger() -> Callable[[dict[str, Any]], None]:
    """Turns the verifier's events into log lines: the first key load at INFO (WARNING when it fails), later
    refreshes at DEBUG, failed refreshes and stale keys at WARNING, each rejection with its detail at DEBUG
    (`jwks_unavailable` at WARNING)."""
    loaded = False

    def log(event: dict[str, Any]) -> None:
        nonlocal loaded
        kind = event.get("type")
        if kind == "jwks_fetch_ok":
            logger.log(
                logging.DEBUG if loaded else logging.INFO,
                "keys loaded: %s keys (%s ignored) from %s in %s ms",
                event["key_count"],
                event["ignored_count"],
                loggable_url(event["url"]),
                number_text(event["duration_ms"]),
            )
            loaded = True
        elif kind == "jwks_fetch_failed":
            prefix = "key refresh failed" if loaded else "keys not loaded"
            logger.warning("%s: %s: %s", prefix, loggable_url(event["url"]), event["reason"])
        elif kind == "jwks_key_ignored":
            kid = event.get("kid")
            logger.debug("key %s ignored: %s", "without kid" if kid is None else f"kid {quoted(kid)}", event["reason"])
        elif kind == "jwks_stale_served":
            logger.warning("serving keys fetched %s s ago: refreshes are failing", event["age_seconds"])
        elif kind == "unknown_kid":
            kid = event.get("kid")
            which = "kid-less assertion" if kid is None else f"kid {quoted(kid)}"
            logger.debug("unknown %s%s", which, ", key set refetched" if event.get("refetched") else "")
        elif kind == "verify_ok":
            # Quoting costs more than a cache hit: only when the line is written.
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("verified subject %s", quoted(event["subject"]))
        elif kind == "verify_failed":
            detail = event.get("detail")
            # DEBUG even for jwks_unavailable: the failed fetch is logged once per fetch (WARNING), while every
            # request rejected meanwhile would flood the log with the same cause.
            logger.log(logging.DEBUG, "rejected %s%s", event["code"], "" if detail is None else f": {detail}")

    return log
