"""The one exception the library raises for a rejected request or configuration."""

from __future__ import annotations

from dataclasses import dataclass

from ._contract import ErrorEntry, errors_by_code


@dataclass(frozen=True)
class ConfigProblem:
    """One problem found in the configuration; `variable` names the TRUSTED_PROXY_* setting."""

    variable: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"variable": self.variable, "message": self.message}


def problems_detail(problems: tuple[ConfigProblem, ...] | list[ConfigProblem]) -> str:
    """The `detail` of `invalid_config`: every problem, `<VARIABLE> <message>`, joined by `; `."""
    return "; ".join(f"{problem.variable} {problem.message}" for problem in problems)


def error_entry(code: str) -> ErrorEntry:
    try:
        return errors_by_code()[code]
    except KeyError:
        raise ValueError(f"unknown error code {code}") from None


def error_codes() -> tuple[str, ...]:
    """Every stable error code of contract/errors.json, in contract order."""
    return tuple(errors_by_code())


class TrustedProxyAuthError(Exception):
    """A rejected assertion, request or configuration.

    Its message is the contract's fixed text for `code`: it never carries the assertion, a claim
    value or key material, so it is safe to log. `detail` says which claim, value or network cause
    (contract/errors.json `detail`), also safe to log; `str(error)` is the message followed by the
    detail, so an `invalid_config` error lists every problem. A lower-level cause, if any, is chained
    as `__cause__` for debugging only.
    """

    code: str
    status: int
    #: Non-secret diagnosis in the format of contract/errors.json `detail` for the code; for
    #: `invalid_config` every problem. None when there is nothing to add.
    detail: str | None
    #: Every configuration problem, for `invalid_config`.
    problems: tuple[ConfigProblem, ...] | None
    #: Seconds a client should wait, for `jwks_unavailable`.
    retry_after: int | None

    def __init__(
        self,
        code: str,
        *,
        detail: str | None = None,
        problems: list[ConfigProblem] | tuple[ConfigProblem, ...] | None = None,
        retry_after: int | None = None,
    ) -> None:
        entry = error_entry(code)
        super().__init__(entry["message"])
        self.code = code
        self.status = entry["status"]
        self.problems = tuple(problems) if problems is not None else None
        self.detail = detail if detail is not None or not self.problems else problems_detail(self.problems)
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return str(self.args[0])

    def __str__(self) -> str:
        """The fixed message, then the detail: for `invalid_config` every problem with the setting it names.

        A traceback shows only this text, so an application that fails to start on a bad configuration
        says which TRUSTED_PROXY_* variables to fix, and a rejection says which claim or value. Neither
        ever holds a secret value or the assertion.
        """
        return self.message if self.detail is None else f"{self.message}: {self.detail}"

    def __repr__(self) -> str:
        return f"TrustedProxyAuthError(code={self.code!r}, status={self.status}, detail={self.detail!r})"

    def to_dict(self) -> dict[str, object]:
        """`{"code", "status", "message"}` (+ `detail`, `problems`), as the CLI prints it."""
        body: dict[str, object] = {"code": self.code, "status": self.status, "message": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        if self.problems is not None:
            body["problems"] = [problem.to_dict() for problem in self.problems]
        return body
