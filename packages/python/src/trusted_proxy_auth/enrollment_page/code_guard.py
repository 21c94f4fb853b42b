"""The one-time enrollment code of the page (contract/enrollment.json `enrollmentCode`), as the TypeScript page
keeps it: logged (never in a response), compared in constant time. Wrong codes are counted per browser session
(CSRF nonce): after `wrongAttemptsPerSession` that session is refused. The code itself is replaced only after
`wrongAttemptsBeforeRotation` wrong codes over all sessions (guessing is infeasible, so anyone sending wrong codes
can neither make the logged code stale nor flood the log), after a successful enrollment and after a revoke. A
browser that gave the right code is remembered by its new CSRF nonce for 10 minutes, so "Run checks" then "Trust
this proxy" asks for it once. Both maps are emptied on every rotation; a wrong-count entry needs a wrong attempt,
so they hold at most `wrongAttemptsBeforeRotation` entries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from trusted_proxy_auth._contract import enrollment_contract
from trusted_proxy_auth.enrollment import create_enrollment_code, enrollment_code_matches

_CODE_RULES = enrollment_contract()["enrollmentCode"]
WRONG_ATTEMPTS_PER_SESSION: int = int(_CODE_RULES["wrongAttemptsPerSession"])
"""contract/enrollment.json enrollmentCode: wrong codes one browser session may enter before it is refused."""
WRONG_ATTEMPTS_BEFORE_ROTATION: int = int(_CODE_RULES["wrongAttemptsBeforeRotation"])
"""contract/enrollment.json enrollmentCode: wrong codes over all sessions after which a new code is logged."""
CODE_SESSION_SECONDS = 10 * 60

CodeOutcome = Literal["accepted", "wrong", "locked", "rotated"]
"""`locked`: this session entered too many wrong codes (the code was not compared); `rotated`: a new code was
logged."""


class EnrollmentCodeGuard:
    def __init__(self, logger: logging.Logger, mount_path: str, clock: Callable[[], float]) -> None:
        self._logger = logger
        self._mount_path = mount_path
        self._clock = clock
        self._code: str | None = None
        self._wrong_attempts = 0
        self._wrong_by_session: dict[str, int] = {}
        self._sessions: dict[str, float] = {}

    def rotate(self, reason: str) -> None:
        """Creates and logs a new code (start-up while not enrolled, after revoke, after too many wrong codes)."""
        self._code = create_enrollment_code()
        self._forget_attempts()
        self._logger.warning(
            "not enrolled (%s): open %s through the proxy and enter the enrollment code %s",
            reason,
            self._mount_path,
            self._code,
        )

    def retire(self) -> None:
        """No code is valid (enrolled)."""
        self._code = None
        self._forget_attempts()

    def remembered(self, nonce: str) -> bool:
        until = self._sessions.get(nonce)
        return until is not None and until > self._clock()

    def locked(self, nonce: str) -> bool:
        """Whether this browser session entered `WRONG_ATTEMPTS_PER_SESSION` wrong codes (it must load the page
        again)."""
        return self._wrong_by_session.get(nonce, 0) >= WRONG_ATTEMPTS_PER_SESSION

    def attempt(self, session_nonce: str, remember_as: str, given: str) -> CodeOutcome:
        """Checks a typed code from the session `session_nonce` (the verified CSRF nonce the request came with). A
        locked session is refused without comparing; the right code remembers the browser by `remember_as` (the
        page's fresh nonce, never the one the request came with); a wrong one counts for the session and
        globally, and the `WRONG_ATTEMPTS_BEFORE_ROTATION`-th global one rotates the code."""
        if self.locked(session_nonce):
            return "locked"
        if self._code is not None and enrollment_code_matches(self._code, given):
            self._sessions[remember_as] = self._clock() + CODE_SESSION_SECONDS
            return "accepted"
        self._wrong_attempts += 1
        if self._wrong_attempts >= WRONG_ATTEMPTS_BEFORE_ROTATION:
            self.rotate(
                f"{WRONG_ATTEMPTS_BEFORE_ROTATION} wrong enrollment codes were entered; the previous code is void"
            )
            return "rotated"
        self._wrong_by_session[session_nonce] = self._wrong_by_session.get(session_nonce, 0) + 1
        return "locked" if self.locked(session_nonce) else "wrong"

    def attempts_left(self, nonce: str) -> int:
        """Wrong attempts this browser session has left before it is refused."""
        return max(0, WRONG_ATTEMPTS_PER_SESSION - self._wrong_by_session.get(nonce, 0))

    def _forget_attempts(self) -> None:
        self._wrong_attempts = 0
        self._wrong_by_session = {}
        self._sessions = {}
