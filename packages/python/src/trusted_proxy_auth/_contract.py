"""The JSON contract (env.json, errors.json, checks.json, presets.json), read from the package data."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any, TypedDict, cast


class EnvVariable(TypedDict, total=False):
    name: str
    option: str
    type: str
    required: bool
    default: Any
    allowedValues: list[str]
    minimum: float
    maximum: float
    description: str
    example: str


class ErrorEntry(TypedDict):
    code: str
    status: int
    oauthError: str | None
    title: str
    message: str
    description: str


def read_contract_file(name: str) -> Any:
    """Parses one contract file shipped inside the package."""
    text = resources.files(__package__).joinpath("contract").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def env_variables() -> tuple[EnvVariable, ...]:
    return tuple(cast("list[EnvVariable]", read_contract_file("env.json")["variables"]))


@cache
def error_contract() -> dict[str, Any]:
    return cast("dict[str, Any]", read_contract_file("errors.json"))


@cache
def errors_by_code() -> dict[str, ErrorEntry]:
    return {entry["code"]: entry for entry in cast("list[ErrorEntry]", error_contract()["errors"])}


@cache
def checks_contract() -> dict[str, Any]:
    return cast("dict[str, Any]", read_contract_file("checks.json"))


@cache
def presets_contract() -> dict[str, Any]:
    """contract/presets.json: the presets, their quirks and the key URL rules."""
    return cast("dict[str, Any]", read_contract_file("presets.json"))


def presets() -> dict[str, Any]:
    """Preset name -> definition."""
    return cast("dict[str, Any]", presets_contract()["presets"])


@cache
def enrollment_contract() -> dict[str, Any]:
    """contract/enrollment.json: the enrollment checks, code rules, file mode and forbidden settings."""
    return cast("dict[str, Any]", read_contract_file("enrollment.json"))


def enrollment_contract_forbidden_settings() -> tuple[str, ...]:
    """Settings an enrollment record never holds (contract/enrollment.json `forbiddenSettings`)."""
    return tuple(enrollment_contract()["forbiddenSettings"])


def max_json_depth() -> int:
    return int(checks_contract()["limits"]["maxJsonDepth"])


def snake_case(option: str) -> str:
    """`jwksCacheTtl` -> `jwks_cache_ttl`: the Python spelling of a contract option name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", option).lower()


def setting_name(option: str) -> str:
    """The environment variable of a contract option, for messages (never spelt out by hand)."""
    return variable_for_option(option)["name"]


def variable_for_option(option: str) -> EnvVariable:
    for variable in env_variables():
        if variable["option"] == option:
            return variable
    raise KeyError(option)
