"""Where the key cache's background refreshes and retries run; tests inject a manual clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol


class Scheduler(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> object:
        """Runs `callback` after `delay` seconds; returns a handle for `cancel`."""

    def cancel(self, handle: object) -> None: ...


class ThreadScheduler:
    """Runs each callback on a daemon timer thread, so background key fetches never keep a process (or a
    CLI) alive and never block an event loop."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> object:
        timer = threading.Timer(max(0.0, delay), callback)
        timer.daemon = True
        timer.start()
        return timer

    def cancel(self, handle: object) -> None:
        if isinstance(handle, threading.Timer):
            handle.cancel()
