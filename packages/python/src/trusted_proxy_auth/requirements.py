"""Per-route requirements (route guards) on top of the verification: contract/requirements.json.

Every adapter maps the same rule: FastAPI `Depends(require_identity(...))`, Flask `@require_identity(...)`,
Django `@require_identity(...)` and `TrustedIdentityRequiredMixin`. The shared cases both languages decide
identically are test-vectors/requirements/cases.json.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ConfigProblem, TrustedProxyAuthError
from .identity import Identity

#: A custom check: receives the identity and the framework's request; sync or async. Only `True` allows.
RequirementCheck = Callable[[Identity, Any], "bool | Awaitable[bool | None] | None"]

_KEYS = ("claims", "groups", "scopes", "check")


def _list_problems(key: str, value: object, item_rule: Callable[[str], str | None]) -> list[ConfigProblem]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) == 0:
        return [ConfigProblem(key, "must be a non-empty list of strings")]
    problems: list[ConfigProblem] = []
    for item in value:
        message = item_rule(item) if isinstance(item, str) else "must be a string"
        if message is not None:
            problems.append(ConfigProblem(key, message))
    return problems


def _claim_rule(item: str) -> str | None:
    return (
        "entries must be `name` or `name=value` with a non-empty name" if item == "" or item.startswith("=") else None
    )


def _group_rule(item: str) -> str | None:
    return "entries must be non-empty" if item == "" else None


# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), so no space, quote or backslash.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")


def _scope_rule(item: str) -> str | None:
    if _SCOPE_TOKEN.fullmatch(item):
        return None
    return "entries must be RFC 6749 scope tokens (printable ASCII, no space, quote or backslash)"


def requirement_problems(requirements: Mapping[str, Any]) -> list[ConfigProblem]:
    """Every fault of a requirement mapping (keys `claims`, `groups`, `scopes`, `check`), in the contract's order."""
    problems = _list_problems("claims", requirements.get("claims"), _claim_rule)
    groups = requirements.get("groups")
    if groups is not None:
        if not isinstance(groups, Mapping) or (groups.get("any") is None and groups.get("all") is None):
            problems.append(ConfigProblem("groups", "must have `any` or `all`"))
        else:
            problems += _list_problems("groups.any", groups.get("any"), _group_rule)
            problems += _list_problems("groups.all", groups.get("all"), _group_rule)
    problems += _list_problems("scopes", requirements.get("scopes"), _scope_rule)
    check = requirements.get("check")
    if check is not None and not callable(check):
        problems.append(ConfigProblem("check", "must be a function"))
    problems += [ConfigProblem(key, "is not a route requirement") for key in requirements if key not in _KEYS]
    return problems


def validate_requirements(requirements: Mapping[str, Any]) -> None:
    """Refuses a malformed requirement at start-up.

    Raises:
        TrustedProxyAuthError: `invalid_config`, one problem per fault, `variable` = the requirement key.
    """
    problems = requirement_problems(requirements)
    if problems:
        raise TrustedProxyAuthError("invalid_config", problems=problems)


def _claim_holds(claims: Mapping[str, Any], rule: str) -> bool:
    name, separator, wanted = rule.partition("=")
    value = claims.get(name)
    if not separator:
        return value is not None
    # `type(...) is str`: exact string comparison, as in TypeScript (a bool or number never equals a string).
    return (type(value) is str and value == wanted) or (
        isinstance(value, list) and any(type(item) is str and item == wanted for item in value)
    )


def _space_separated(value: object) -> list[str]:
    return [scope for scope in value.split(" ") if scope] if isinstance(value, str) else []


def granted_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """`scope` (space-separated string, RFC 8693 section 4.2) together with `scp` (array of strings, or string)."""
    scp = claims.get("scp")
    from_scp = [item for item in scp if isinstance(item, str)] if isinstance(scp, list) else _space_separated(scp)
    return frozenset([*_space_separated(claims.get("scope")), *from_scp])


def check_requirements(groups: Sequence[str], claims: Mapping[str, Any], requirements: Mapping[str, Any]) -> str | None:
    """The declarative requirements, pure: claims (in order), `groups.any`, `groups.all`, scopes (in order).

    Returns None when all hold, else the non-secret text naming the first failure (`claim tenant=acme`,
    `groups any of admins, ops`, `groups all of a, b`, `scope reports:read`); names and values come from the
    application's requirements, never from the assertion.
    """
    for rule in requirements.get("claims") or ():
        if not _claim_holds(claims, rule):
            return f"claim {rule}"
    held = set(groups)
    group_rules: Mapping[str, Sequence[str]] = requirements.get("groups") or {}
    any_of = group_rules.get("any")
    if any_of and not any(group in held for group in any_of):
        return "groups any of " + ", ".join(any_of)
    all_of = group_rules.get("all")
    if all_of and not all(group in held for group in all_of):
        return "groups all of " + ", ".join(all_of)
    scopes = requirements.get("scopes")
    if scopes:
        granted = granted_scopes(claims)
        for scope in scopes:
            if scope not in granted:
                return f"scope {scope}"
    return None


@dataclass(frozen=True)
class RouteRequirements:
    """What a route requires beyond a verified identity; validated when created (`invalid_config`).

    `claims`: `name` (present, not null) or `name=value` (exactly that string, or an array containing it).
    `groups`: `{"any": [...]}` and/or `{"all": [...]}` against `identity.groups`. `scopes`: every one granted
    by `scope`/`scp`. `check(identity, request)`: sync or async; only `True` allows; raise
    `TrustedProxyAuthError(code, detail=...)` to deny with another code (e.g. 401 `missing_assertion`).
    """

    claims: Sequence[str] | None = None
    groups: Mapping[str, Sequence[str]] | None = None
    scopes: Sequence[str] | None = None
    check: RequirementCheck | None = None

    def __post_init__(self) -> None:
        validate_requirements(self._as_mapping())

    def _as_mapping(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in _KEYS if getattr(self, key) is not None}

    def _declarative_failure(self, identity: Identity | None) -> Identity:
        if identity is None:
            raise TrustedProxyAuthError("missing_assertion", detail="the route requires an identity")
        failure = check_requirements(identity.groups, identity.claims, self._as_mapping())
        if failure is not None:
            raise TrustedProxyAuthError("forbidden_user", detail=f"route requires {failure}")
        return identity

    def enforce(self, identity: Identity | None, request: Any) -> Identity:
        """For sync views: returns the identity, or raises.

        An async `check` is run to completion on a fresh event loop (a sync view's thread has none).

        Raises:
            TrustedProxyAuthError: 401 `missing_assertion` without an identity; 403 `forbidden_user` (detail
                names the requirement); or the code the check raised. Other exceptions of the check propagate.
        """
        verified = self._declarative_failure(identity)
        if self.check is not None:
            result = self.check(verified, request)
            if inspect.isawaitable(result):
                result = asyncio.run(_awaited(result))
            _require_true(result)
        return verified

    async def aenforce(self, identity: Identity | None, request: Any) -> Identity:
        """For async views: like `enforce`, awaiting an async check on the running loop."""
        verified = self._declarative_failure(identity)
        if self.check is not None:
            result = self.check(verified, request)
            if inspect.isawaitable(result):
                result = await result
            _require_true(result)
        return verified


async def _awaited(result: Awaitable[Any]) -> Any:
    return await result


def _require_true(result: object) -> None:
    # Fail closed: a check that forgets to return denies.
    if result is not True:
        raise TrustedProxyAuthError("forbidden_user", detail="route requires check")
