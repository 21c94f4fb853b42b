"""How FastAPI's OpenAPI document describes the assertion header and the problem answers."""

from __future__ import annotations

import os
from typing import Any

from fastapi.security import APIKeyHeader, HTTPBearer

from ._contract import errors_by_code, setting_name
from .config import load_config
from .errors import TrustedProxyAuthError
from .problem_details import PROBLEM_CONTENT_TYPE

#: The name of the security scheme in `components.securitySchemes`.
ASSERTION_SCHEME_NAME = "TrustedProxyAssertion"
_DESCRIPTION = (
    "The signed identity assertion (a JWS) the identity-aware proxy adds to each request it forwards. "
    "Clients do not send it themselves: the proxy signs in the user and sets it."
)
#: RFC 9457 section 3.1 members, plus `code` (contract/errors.json).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemDetails",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
    },
}


def configured_header() -> str | None:
    """The assertion header of the environment's configuration; when that configuration is not valid (yet:
    an app imported before its environment is set), the variable as written. Documentation only: the verifier
    reads its own configuration."""
    try:
        return load_config().assertion_header
    except TrustedProxyAuthError:
        return os.environ.get(setting_name("assertionHeader")) or None


def assertion_scheme(header: str | None = None) -> APIKeyHeader | HTTPBearer:
    """The security scheme for `header` (default `configured_header()`), not enforcing anything itself
    (`auto_error=False`): the dependency that uses it verifies. `Authorization` becomes HTTP bearer."""
    name = header or configured_header() or "X-Assertion"
    if name.lower() == "authorization":
        return HTTPBearer(scheme_name=ASSERTION_SCHEME_NAME, description=_DESCRIPTION, auto_error=False)
    return APIKeyHeader(name=name, scheme_name=ASSERTION_SCHEME_NAME, description=_DESCRIPTION, auto_error=False)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for FastAPI routes, routers or apps: each status (default 401, 403, 503) as
    application/problem+json, described by the contract codes it can carry. ``@app.get("/", responses=
    problem_responses())``."""
    wanted = statuses or (401, 403, 503)
    responses: dict[int | str, dict[str, Any]] = {}
    for status in wanted:
        codes = [code for code, entry in errors_by_code().items() if entry["status"] == status]
        responses[status] = {
            "description": "Problem details (RFC 9457); code: " + (", ".join(codes) or "none"),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_SCHEMA}},
        }
    return responses
