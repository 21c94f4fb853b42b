"""One verifier per effective configuration, shared by every adapter that builds its own: a Flask app, a
Django middleware and ASGI middleware with the same settings make one key fetch and run one refresh loop.

The key is the whole configuration (its repr, plus the shared secret, which the repr leaves out, so two
secrets never share a verifier). `close()` on a shared verifier stops it for every user and forgets it, so
the next request for that configuration builds a fresh one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, TypeVar, cast

from .config import TrustedProxyAuthConfig


class _Closable(Protocol):
    closed: bool


VerifierT = TypeVar("VerifierT", bound=_Closable)

_lock = threading.Lock()
_shared: dict[tuple[str, str | None], _Closable] = {}


def shared_verifier(config: TrustedProxyAuthConfig, build: Callable[[TrustedProxyAuthConfig], VerifierT]) -> VerifierT:
    """The verifier every adapter with this effective configuration uses, built by `build` on first use
    (TrustedProxyAuth passes itself, so this module needs no import of the verifier)."""
    key = (repr(config), config.shared_secret)
    with _lock:
        verifier = _shared.get(key)
        if verifier is None or verifier.closed:
            built = build(config)
            _shared[key] = built
            return built
        # Only TrustedProxyAuth.shared calls this, always with the same build: an entry is what it built.
        return cast(VerifierT, verifier)


def shared_verifier_count() -> int:
    """How many shared verifiers are open (for tests and diagnostics)."""
    with _lock:
        return sum(1 for verifier in _shared.values() if not verifier.closed)
