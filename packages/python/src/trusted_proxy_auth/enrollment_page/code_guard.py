"""The one-time enrollment code of the page (contract/enrollment.json `enrollmentCode`), as the TypeScript page
keeps it: logged (never in a response), compared in constant time, replaced after 5 wrong attempts and after a
successful enrollment. A browser that gave the right code is remembered by its CSRF nonce for 10 minutes, so
"Run checks" then "Trust this proxy" asks for it once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from trusted_proxy_auth.enrollment import create_enrollment_code, enrollment_code_matches

WRONG_ATTEMPTS_BEFORE_ROTATION = 5
CODE_SESSION_SECONDS = 10 * 60

CodeOutcome = Literal["accepted", "wrong", "rotated"]


class EnrollmentCodeGuard:
    def __init__(self, logger: logging.Logger, mount_path: str, clock: Callable[[], float]) -> None:
        self._logger = logger
        self._mount_path = mount_path
        self._clock = clock
        self._code: str | None = None
        self._wrong_attempts = 0
        self._sessions: dict[str, float] = {}

    def rotate(self, reason: str) -> None:
        """Creates and logs a new code (start-up while not enrolled, after revoke, after too many wrong codes)."""
        self._code = create_enrollment_code()
        self._wrong_attempts = 0
        self._sessions = {}
        self._logger.warning(
            "not enrolled (%s): open %s through the proxy and enter the enrollment code %s",
            reason,
            self._mount_path,
            self._code,
        )

    def retire(self) -> None:
        """No code is valid (enrolled)."""
        self._code = None
        self._wrong_attempts = 0
        self._sessions = {}

    def remembered(self, nonce: str) -> bool:
        until = self._sessions.get(nonce)
        return until is not None and until > self._clock()

    def attempt(self, remember_as: str, given: str) -> CodeOutcome:
        """Checks a typed code; the right one remembers the browser by `remember_as` (the page's fresh nonce,
        never the one the request came with), the 5th wrong one rotates the code."""
        if self._code is not None and enrollment_code_matches(self._code, given):
            self._sessions[remember_as] = self._clock() + CODE_SESSION_SECONDS
            return "accepted"
        self._wrong_attempts += 1
        if self._wrong_attempts >= WRONG_ATTEMPTS_BEFORE_ROTATION:
            self.rotate(
                f"{WRONG_ATTEMPTS_BEFORE_ROTATION} wrong enrollment codes were entered; the previous code is void"
            )
            return "rotated"
        return "wrong"

    @property
    def attempts_left(self) -> int:
        return WRONG_ATTEMPTS_BEFORE_ROTATION - self._wrong_attempts
