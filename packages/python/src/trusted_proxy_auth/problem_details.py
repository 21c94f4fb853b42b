"""RFC 9457 problem details for a rejected request; never containing the assertion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._contract import error_contract
from .errors import TrustedProxyAuthError, error_entry

PROBLEM_CONTENT_TYPE = "application/problem+json"
#: Seconds a client is told to wait when keys are unavailable and no retry time is known.
DEFAULT_RETRY_AFTER = 5


@dataclass(frozen=True)
class ProblemResponse:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def to_problem_details(
    error: BaseException, instance: str | None = None, *, problem_detail: str = "generic"
) -> ProblemResponse:
    """The HTTP answer for a rejected request: status from the contract, `WWW-Authenticate` for 401,
    `Retry-After` for 503. Any other exception becomes a generic 500 so internals are not exposed.

    `problem_detail="diagnostic"` (adapters pass `config.problem_detail`, contract option `problemDetail`) makes
    `detail` the message followed by the error's non-secret detail; otherwise it is the fixed message."""
    known = error if isinstance(error, TrustedProxyAuthError) else TrustedProxyAuthError("invalid_config")
    entry = error_entry(known.code)
    headers = {"content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store"}
    if entry["status"] == 401:
        oauth_error = f', error="{entry["oauthError"]}"' if entry["oauthError"] else ""
        headers["www-authenticate"] = f'Bearer realm="trusted-proxy"{oauth_error}'
    if entry["status"] == 503:
        headers["retry-after"] = str(known.retry_after if known.retry_after is not None else DEFAULT_RETRY_AFTER)
    body: dict[str, Any] = {
        "type": f"{error_contract()['problemTypeBase']}{entry['code']}",
        "title": entry["title"],
        "status": entry["status"],
        "detail": (
            f"{entry['message']}: {known.detail}"
            if problem_detail == "diagnostic" and known.detail is not None
            else entry["message"]
        ),
        "code": entry["code"],
    }
    if instance is not None:
        body["instance"] = instance
    return ProblemResponse(status=entry["status"], headers=headers, body=body)
