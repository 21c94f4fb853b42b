"""The proposed settings as form fields, and the request headers that carried a signed assertion."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trusted_proxy_auth._contract import enrollment_contract_forbidden_settings, env_variables, setting_name
from trusted_proxy_auth.enrollment import EnrollmentProposal, SettingValue
from trusted_proxy_auth.enrollment.decoded_assertion import decode_assertion, largest_assertion_bytes
from trusted_proxy_auth.request_headers import HeadersInput

#: Form fields holding a setting are named `setting.<variable name>`.
SETTING_FIELD_PREFIX = "setting."
_PRIMARY_OPTIONS = ("preset", "assertionHeader", "issuer", "audience", "jwksUrl")
_COMPACT_JWS = re.compile(r"^(?:bearer +)?([A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*)$", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _variables() -> dict[str, Any]:
    return {variable["name"]: variable for variable in env_variables()}


def setting_text(value: SettingValue | None) -> str:
    if value is None:
        return ""
    return ", ".join(value) if isinstance(value, list) else str(value)


def setting_rows(settings: Mapping[str, SettingValue]) -> list[tuple[str, str, str]]:
    """(name, description, value) to render: primary settings first (present or empty), then the rest."""
    primary = [setting_name(option) for option in _PRIMARY_OPTIONS]
    names = [name for name in primary if name != setting_name("preset") or name in settings]
    names += [name for name in settings if name not in primary]
    variables = _variables()
    forbidden = set(enrollment_contract_forbidden_settings())
    return [
        (name, str(variables[name].get("description", "")), setting_text(settings.get(name)))
        for name in names
        if name in variables and name not in forbidden
    ]


def proposal_from_form(form: Mapping[str, str]) -> EnrollmentProposal:
    """Known, allowed settings only; lists split at commas; numbers as numbers when they parse (else text, for
    the configuration check to report); empty fields omitted."""
    variables = _variables()
    forbidden = set(enrollment_contract_forbidden_settings())
    settings: dict[str, SettingValue] = {}
    for field, raw in form.items():
        if not field.startswith(SETTING_FIELD_PREFIX):
            continue
        name = field[len(SETTING_FIELD_PREFIX) :]
        variable = variables.get(name)
        text = raw.strip()
        if variable is None or name in forbidden or text == "":
            continue
        if variable["type"] in ("list", "cidr-list"):
            settings[name] = [item.strip() for item in text.split(",") if item.strip() != ""]
        elif variable["type"] in ("integer", "number") and _NUMBER.fullmatch(text):
            settings[name] = float(text) if "." in text else int(text)
        else:
            settings[name] = text
    return EnrollmentProposal(settings)


@dataclass(frozen=True)
class ArrivedAssertion:
    header: str
    #: Used for this request's checks only; never stored, logged or rendered.
    assertion: str
    #: Decoded for display, unverified; None when not decodable.
    decoded: Mapping[str, dict[str, Any]] | None


def arrived_assertions(headers: HeadersInput) -> list[ArrivedAssertion]:
    """Every request header carrying something shaped like a compact JWS (RFC 7515 section 7.1), in order."""
    pairs: list[tuple[str, str]] = []
    if isinstance(headers, Mapping):
        for name, value in headers.items():
            values = [value] if isinstance(value, str) else list(value or ())
            pairs.extend((str(name), str(item)) for item in values)
    else:
        for name, value in headers:
            pairs.append(
                (
                    name.decode("latin-1") if isinstance(name, bytes) else str(name),
                    value.decode("latin-1") if isinstance(value, bytes) else str(value),
                )
            )
    found: list[ArrivedAssertion] = []
    for name, value in pairs:
        if name.lower() == "cookie" or len(value) > largest_assertion_bytes():
            continue
        match = _COMPACT_JWS.match(value.strip())
        if match is None:
            continue
        token = match.group(1)
        outcome = decode_assertion(token)
        # Not decodable is shown as such; the checks report the real reason.
        found.append(ArrivedAssertion(name, token, None if isinstance(outcome, str) else outcome))
    return found
