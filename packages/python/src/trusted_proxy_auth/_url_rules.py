"""The key URL rules (option `jwks_url`), shared by every key URL: configured, derived by a preset, an issuer
used for discovery, or named by a discovery document."""

from __future__ import annotations

from urllib.parse import urlsplit

from ._contract import checks_contract
from .addresses import is_loopback_host

# Node's fetch refuses these ports before connecting; refusing them in the configuration gives the same answer
# in both languages and says why at start-up instead of at the first request.
_BLOCKED_PORTS = frozenset(int(port) for port in checks_contract()["keyUrl"]["blockedPorts"])


def key_url_problem(text: str) -> str | None:
    """Why `text` cannot be a key URL, or None when it can: an absolute https URL, or http for loopback
    hosts only, on a port the Fetch standard does not block (contract/checks.json `keyUrl`)."""
    try:
        url = urlsplit(text)
        hostname = url.hostname
        port = url.port
    except ValueError:
        return "must be an absolute URL"
    scheme = url.scheme.lower()
    if not scheme or (scheme in ("http", "https") and not hostname):
        return "must be an absolute URL"
    secure = scheme == "https" or (scheme == "http" and hostname is not None and is_loopback_host(hostname))
    if not secure:
        return "must use https (plain http only for loopback hosts)"
    if port is not None and port in _BLOCKED_PORTS:
        return f"must not use port {port}, which the Fetch standard blocks"
    return None
