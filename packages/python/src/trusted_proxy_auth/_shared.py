"""One verifier per effective configuration, shared by every adapter that builds its own: a Flask app, a
Django middleware and ASGI middleware with the same settings make one key fetch and run one refresh loop.

The key is the whole configuration (its repr, plus the shared secret, which the repr leaves out, so two
secrets never share a verifier). `close()` on a shared verifier stops it for every user and forgets it, so
the next request for that configuration builds a fresh one."""

from __future__ import annotations

import threading

from .config import TrustedProxyAuthConfig
from .verifier import TrustedProxyAuth

_lock = threading.Lock()
_shared: dict[tuple[str, str | None], TrustedProxyAuth] = {}


def shared_verifier(config: TrustedProxyAuthConfig) -> TrustedProxyAuth:
    """The verifier every adapter with this effective configuration uses (built on first use)."""
    key = (repr(config), config.shared_secret)
    with _lock:
        verifier = _shared.get(key)
        if verifier is None or verifier.closed:
            verifier = TrustedProxyAuth(config)
            _shared[key] = verifier
        return verifier


def shared_verifier_count() -> int:
    """How many shared verifiers are open (for tests and diagnostics)."""
    with _lock:
        return sum(1 for verifier in _shared.values() if not verifier.closed)
