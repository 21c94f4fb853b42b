"""`issuers`: several trusted issuers, each with its own keys (contract/schema/issuers.schema.json)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._contract import setting_name, variable_for_option
from ._key_fetch import FetchFailure
from ._key_set_document import parse_key_set_document
from ._key_sources.key_source import DiscoverySource, InlineJwksSource, JwksFileSource, JwksSource, KeySource
from ._text import js_trim
from ._url_rules import key_url_problem
from .errors import ConfigProblem

ISSUERS_VARIABLE = setting_name("issuers")
_MEMBERS = ("issuer", "jwks_url", "jwks_file", "jwks", "discovery", "audience", "algorithms", "clock_tolerance")
_KEY_SOURCES = ("jwks_url", "jwks_file", "jwks", "discovery")
_REFUSED_ALGORITHM_NAMES = ("HS256", "HS384", "HS512", "none")
_HMAC_ALGORITHM = re.compile(r"HS", re.IGNORECASE)
#: A member the entry does not have (a JSON null is a value, refused where it is not allowed).
_ABSENT = object()


@dataclass(frozen=True)
class IssuerConfig:
    """One trusted issuer with its own keys: an assertion whose `iss` is `issuer` is verified with this entry's
    key source, audience, algorithms and clock tolerance (seconds) only."""

    issuer: str
    key_source: KeySource
    audience: tuple[str, ...]
    algorithms: tuple[str, ...]
    clock_tolerance: int


@dataclass(frozen=True)
class IssuerDefaults:
    """What an entry inherits from the top-level settings when it names none of its own."""

    audience: tuple[str, ...]
    algorithms: tuple[str, ...]
    clock_tolerance: int


def _reject_constant(_name: str) -> Any:
    raise ValueError("not JSON")


def inline_key_set(
    document: object, variable: str, where: str, problems: list[ConfigProblem]
) -> tuple[Mapping[str, Any], ...] | None:
    """The members of an inline key set (`jwks`, or an entry's `jwks`), or None after recording why
    it cannot be one: not a JSON Web Key Set, or private key material (the cause only, never the material)."""
    try:
        text = document if isinstance(document, str) else json.dumps(document)
        return tuple(parse_key_set_document(text))
    except FetchFailure as failure:
        cause = "not a JSON Web Key Set (invalid JSON)" if failure.reason == "invalid JSON" else failure.reason
        problems.append(ConfigProblem(variable, f"{where}is not usable: {cause}"))
        return None


def _problem(problems: list[ConfigProblem], message: str) -> None:
    problems.append(ConfigProblem(ISSUERS_VARIABLE, message))


def _entry_algorithms(value: object, where: str, problems: list[ConfigProblem]) -> tuple[str, ...] | None:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(alg, str) for alg in items):
        _problem(problems, f'{where}"algorithms" must be a string or a non-empty array of strings')
        return None
    allowed = variable_for_option("algorithms").get("allowedValues", [])
    accepted = True
    for index, alg in enumerate(items, start=1):
        label = f'"{alg}"' if alg in _REFUSED_ALGORITHM_NAMES else f"entry {index}"
        if _HMAC_ALGORITHM.match(alg) or alg.lower() == "none":
            _problem(problems, f'{where}"algorithms" {label} is not allowed: only asymmetric algorithms are accepted')
            accepted = False
        elif alg not in allowed:
            _problem(problems, f'{where}"algorithms" entry {index} is not a supported algorithm')
            accepted = False
    return tuple(items) if accepted else None


def _entry_key_source(
    entry: Mapping[str, Any], issuer: str, where: str, problems: list[ConfigProblem]
) -> KeySource | None:
    given = [name for name in _KEY_SOURCES if name in entry]
    if len(given) != 1:
        _problem(problems, f'{where}needs exactly one key source: "jwks_url", "jwks_file", "jwks" or "discovery": true')
        return None
    kind = given[0]
    if kind == "jwks_url":
        url = entry["jwks_url"]
        if not isinstance(url, str):
            _problem(problems, f'{where}"jwks_url" must be a string')
            return None
        problem = key_url_problem(js_trim(url))
        if problem is not None:
            _problem(problems, f'{where}"jwks_url" {problem}')
            return None
        return JwksSource(js_trim(url))
    if kind == "jwks_file":
        path = entry["jwks_file"]
        if not isinstance(path, str) or js_trim(path) == "":
            _problem(problems, f'{where}"jwks_file" must be a non-empty path')
            return None
        return JwksFileSource(js_trim(path))
    if kind == "jwks":
        keys = inline_key_set(entry["jwks"], ISSUERS_VARIABLE, f'{where}"jwks" ', problems)
        return None if keys is None else InlineJwksSource(keys)
    if entry["discovery"] is not True:
        _problem(problems, f'{where}"discovery" must be true')
        return None
    problem = key_url_problem(issuer)
    if problem is not None:
        _problem(problems, f"{where}cannot discover keys from its issuer: it {problem}")
        return None
    base = issuer[:-1] if issuer.endswith("/") else issuer
    return DiscoverySource(issuer, f"{base}/.well-known/openid-configuration")


def _entry_audience(
    value: object, where: str, defaults: IssuerDefaults, problems: list[ConfigProblem]
) -> tuple[str, ...] | None:
    if value is _ABSENT:
        if defaults.audience:
            return defaults.audience
        _problem(problems, f'{where}needs "audience" (or set {setting_name("audience")})')
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(item, str) and item != "" for item in items):
        _problem(problems, f'{where}"audience" must be a non-empty string or a non-empty array of them')
        return None
    return tuple(items)


def _entry_clock_tolerance(
    value: object, where: str, defaults: IssuerDefaults, problems: list[ConfigProblem]
) -> int | None:
    if value is _ABSENT:
        return defaults.clock_tolerance
    variable = variable_for_option("clockTolerance")
    minimum = variable.get("minimum", 0)
    maximum = variable.get("maximum", 2**53 - 1)
    whole = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(value, float) and value.is_integer():
        value, whole = int(value), True
    if not whole or not isinstance(value, int) or value < minimum or value > maximum:
        _problem(problems, f'{where}"clock_tolerance" must be a whole number between {minimum} and {maximum}')
        return None
    return value


def parse_issuer_entries(
    text: str, defaults: IssuerDefaults, problems: list[ConfigProblem]
) -> tuple[IssuerConfig, ...]:
    """`issuers` (JSON text): the issuer entries, each validated on its own, with the TypeScript
    core's problem messages. Problems name the entry by position and the member by name, never a value (a
    misplaced secret must not reach logs). Refused: text that is not a non-empty JSON array of objects, unknown
    members, a missing or repeated issuer, not exactly one key source, a key URL outside the key URL rules, an
    inline set that is not a usable key set, and an audience, algorithm list or clock tolerance the top-level
    setting of that name would refuse."""
    try:
        parsed = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        _problem(problems, "is not valid JSON")
        return ()
    if not isinstance(parsed, list) or not parsed:
        _problem(problems, "must be a non-empty JSON array of issuer entries")
        return ()
    entries: list[IssuerConfig] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(parsed, start=1):
        where = f"entry {index} "
        if not isinstance(entry, dict):
            _problem(problems, f"{where}must be a JSON object")
            continue
        if any(name not in _MEMBERS for name in entry):
            _problem(problems, f"{where}has an unknown member (known: {', '.join(_MEMBERS)})")
        issuer = entry.get("issuer")
        if not isinstance(issuer, str) or issuer == "":
            _problem(problems, f'{where}needs "issuer" (a non-empty string)')
            continue
        if issuer in seen:
            _problem(problems, f"{where}repeats the issuer of entry {seen[issuer]}")
        else:
            seen[issuer] = index
        key_source = _entry_key_source(entry, issuer, where, problems)
        audience = _entry_audience(entry.get("audience", _ABSENT), where, defaults, problems)
        algorithms = (
            _entry_algorithms(entry["algorithms"], where, problems) if "algorithms" in entry else defaults.algorithms
        )
        clock_tolerance = _entry_clock_tolerance(entry.get("clock_tolerance", _ABSENT), where, defaults, problems)
        if key_source is None or audience is None or algorithms is None or clock_tolerance is None:
            continue
        entries.append(IssuerConfig(issuer, key_source, audience, algorithms, clock_tolerance))
    return tuple(entries)
