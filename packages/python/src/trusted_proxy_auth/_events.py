"""The `on_event` hook: key-set and verification events for logs and metrics, never carrying the assertion."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

EventListener = Callable[[dict[str, Any]], None]


def emit(listener: EventListener | None, event: dict[str, Any]) -> None:
    """Calls the listener, if any. A failing log or metrics hook must never decide whether a request is
    authenticated, so its exceptions are swallowed."""
    if listener is None:
        return
    with contextlib.suppress(Exception):
        listener(event)
