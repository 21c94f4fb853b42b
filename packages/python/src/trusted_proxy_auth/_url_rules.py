"""The key URL rules (option `jwksUrl`), shared by every key URL: configured, derived by a preset, or named
by a discovery document."""

from __future__ import annotations

from urllib.parse import urlsplit

from .addresses import is_loopback_host


def key_url_problem(text: str) -> str | None:
    """Why `text` cannot be a key URL, or None when it can: an absolute https URL, or http for loopback
    hosts only."""
    try:
        url = urlsplit(text)
        hostname = url.hostname
    except ValueError:
        return "must be an absolute URL"
    scheme = url.scheme.lower()
    if not scheme or (scheme in ("http", "https") and not hostname):
        return "must be an absolute URL"
    if scheme == "https":
        return None
    if scheme == "http" and hostname is not None and is_loopback_host(hostname):
        return None
    return "must use https (plain http only for loopback hosts)"
