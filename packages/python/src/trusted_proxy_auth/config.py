"""Loads and validates the TRUSTED_PROXY_* settings against contract/env.json."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal

from ._contract import (
    EnvVariable,
    enrollment_contract_forbidden_settings,
    env_variables,
    presets,
    setting_name,
    snake_case,
    variable_for_option,
)
from ._issuer_entries import ISSUERS_VARIABLE, IssuerConfig, IssuerDefaults, inline_key_set, parse_issuer_entries
from ._key_sources.key_source import InlineJwksSource, JwksFileSource, JwksSource, KeySource
from ._local_file import MAX_LOCAL_FILE_BYTES, LocalFileError, read_local_file
from ._presets import Discovery, apply_preset, is_known_preset, source_setting
from ._quirks.shared_secret_hs256 import SHARED_SECRET_ALGORITHM
from ._text import js_trim
from ._url_rules import key_url_problem
from .addresses import IPNetwork, parse_address_range
from .errors import ConfigProblem, TrustedProxyAuthError

HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

#: Response headers `serve` must not be told to fill with a claim: message framing and connection management
#: (RFC 9112 section 6, RFC 9110 section 7.6.1), cookies, and the headers of its own problem answers (as the
#: TypeScript core refuses them). A claim written there would break the response or let a signed value set a cookie.
_RESERVED_RESPONSE_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "content-type",
        "keep-alive",
        "proxy-connection",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "www-authenticate",
        "retry-after",
        "cache-control",
        "content-encoding",
    }
)
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_HMAC_ALGORITHM = re.compile(r"HS", re.IGNORECASE)


@dataclass(frozen=True)
class NameValueRule:
    """A `name` or `name=value` rule (required claims, required headers)."""

    name: str
    value: str | None


@dataclass(frozen=True)
class TrustedProxyAuthConfig:
    """The validated, immutable configuration a verifier runs on (one field per contract option)."""

    assertion_header: str
    #: As configured or derived by the preset: a key set URL, a `{kid}` template (preset aws-alb), or None
    #: when keys are found by discovery or there is no key set (preset authentik).
    jwks_url: str | None
    issuer: tuple[str, ...]
    audience: tuple[str, ...]
    algorithms: tuple[str, ...]
    clock_tolerance: int
    max_age: int | None
    required_claims: tuple[NameValueRule, ...]
    mode: Literal["required", "optional"]
    trusted_addresses: tuple[IPNetwork, ...]
    required_headers: tuple[NameValueRule, ...]
    allowed_users: tuple[str, ...]
    allowed_groups: tuple[str, ...]
    claim_subject: str
    claim_email: str
    claim_name: str
    claim_groups: str
    jwks_timeout: float
    jwks_cache_ttl: int
    jwks_cooldown: int
    jwks_max_stale: int
    max_assertion_bytes: int
    #: Verified assertions remembered per verifier (0: off).
    cache_size: int
    #: Seconds a verified assertion is remembered at most.
    cache_max_age: int
    preset: str | None
    config_file: str | None
    #: Path of the enrollment record (contract/enrollment.json); its settings are the lowest-precedence source.
    enrollment_file: str | None
    aws_alb_arn: str | None
    #: `trusted-proxy-auth serve` only (TypeScript): listen address and port, identity response headers.
    serve_address: str
    serve_port: int
    serve_user_header: str
    serve_email_header: str
    serve_name_header: str
    serve_groups_header: str
    #: The authentik preset's HMAC secret; never logged or printed by this library.
    shared_secret: str | None = field(repr=False)
    #: The quirks the preset switches on, with their parameters (contract/presets.json `quirks`).
    preset_quirks: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    #: Where verification keys come from (contract/presets.json `jwksUrlRules`); a configuration built by
    #: hand without it uses the key set at `jwks_url`.
    key_source: KeySource | None = None
    #: `jwksFile`: a local key set file, or None.
    jwks_file: str | None = None
    #: `jwks` as configured (JSON text), or None; its members are in `key_source`.
    jwks: str | None = None
    #: `issuers`: several issuers, each with its own keys, audience, algorithms and clock tolerance,
    #: selected by the assertion's `iss` before any key lookup. Empty when one key source serves `issuer`
    #: (then `key_source` is the first entry's).
    issuers: tuple[IssuerConfig, ...] = ()
    #: `diagnostic`: problem bodies carry the rejection's detail (contract option `problemDetail`).
    problem_detail: Literal["generic", "diagnostic"] = "generic"
    #: The lowest level logged (option `logThreshold`); None leaves the `trusted_proxy_auth` logger alone.
    log_threshold: Literal["debug", "info", "warn", "error", "silent"] | None = None

    def __post_init__(self) -> None:
        if self.key_source is None and self.jwks_url is not None:
            object.__setattr__(self, "key_source", JwksSource(self.jwks_url))


def _split_list(text: str) -> list[str]:
    return [item for item in (js_trim(part) for part in text.split(",")) if item != ""]


def _number_text(value: float) -> str:
    """Numbers as JavaScript's String() writes them, so `30.0` is the whole number `30`."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def _setting_text(value: object) -> str | None:
    """Turns an option or file value into the string form an environment variable would have."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    # A JSON setting (`jwks`, `issuers`) given as its value rather than as text.
    if isinstance(value, dict) or (
        isinstance(value, (list, tuple)) and any(isinstance(item, (dict, list, tuple)) for item in value)
    ):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, (list, tuple)):
        return ",".join(text for text in (_setting_text(item) for item in value) if text is not None)
    if isinstance(value, (int, float)):
        return _number_text(value)
    return str(value)


def _read_config_file(path: str, problems: list[ConfigProblem]) -> dict[str, str]:
    try:
        parsed = json.loads(read_local_file(path, MAX_LOCAL_FILE_BYTES).decode("utf-8"))
    except (LocalFileError, ValueError):
        problems.append(ConfigProblem("TRUSTED_PROXY_CONFIG_FILE", "cannot be read as a JSON file"))
        return {}
    if not isinstance(parsed, dict):
        problems.append(ConfigProblem("TRUSTED_PROXY_CONFIG_FILE", "must hold a JSON object"))
        return {}
    settings: dict[str, str] = {}
    for name, value in parsed.items():
        text = _setting_text(value)
        if text is not None:
            settings[name] = text
    return settings


def _check_url(variable: str, text: str, problems: list[ConfigProblem]) -> None:
    problem = key_url_problem(text)
    if problem is not None:
        problems.append(ConfigProblem(variable, problem))


def _bound_text(bound: float | None) -> str:
    return "-" if bound is None else _number_text(bound)


def _parse_value(variable: EnvVariable, text: str, problems: list[ConfigProblem]) -> Any:
    name = variable["name"]
    kind = variable["type"]
    if kind in ("string", "path", "json"):
        return js_trim(text)
    if kind == "url":
        _check_url(name, js_trim(text), problems)
        return js_trim(text)
    if kind == "list":
        return _split_list(text)
    if kind == "cidr-list":
        ranges: list[IPNetwork] = []
        for index, item in enumerate(_split_list(text), start=1):
            network = parse_address_range(item)
            if network is None:
                # By position, never quoted: a misplaced token or secret must not reach logs through this message.
                problems.append(ConfigProblem(name, f"has an invalid address or CIDR range (entry {index})"))
            else:
                ranges.append(network)
        return ranges
    if kind in ("integer", "number"):
        trimmed = js_trim(text)
        if not (_INTEGER if kind == "integer" else _DECIMAL).fullmatch(trimmed):
            problems.append(ConfigProblem(name, f"must be {'a whole number' if kind == 'integer' else 'a number'}"))
            return None
        value: float = int(trimmed) if kind == "integer" else float(trimmed)
        minimum, maximum = variable.get("minimum"), variable.get("maximum")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            problems.append(ConfigProblem(name, f"must be between {_bound_text(minimum)} and {_bound_text(maximum)}"))
            return None
        return value
    if kind == "enum":
        trimmed = js_trim(text)
        allowed = variable.get("allowedValues", [])
        if trimmed not in allowed:
            problems.append(ConfigProblem(name, f"must be one of {', '.join(allowed)}"))
            return None
        return trimmed
    raise ValueError(f"contract type {kind} is not implemented")


def _is_empty(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, list) and len(value) == 0)


#: The symmetric and unsecured JWA names (RFC 7518 §3.1), refused by name.
_REFUSED_ALGORITHM_NAMES = ("HS256", "HS384", "HS512", "none")


def _check_policy(settings: dict[str, Any], problems: list[ConfigProblem]) -> None:
    """Cross-setting rules the per-variable types cannot express."""
    algorithms = settings.get("algorithms")
    if isinstance(algorithms, list):
        variable = variable_for_option("algorithms")
        allowed = variable.get("allowedValues", [])
        for index, alg in enumerate(algorithms, start=1):
            # A registered name is quoted; anything else only by position, so a misplaced secret is never echoed.
            label = f'"{alg}"' if alg in _REFUSED_ALGORITHM_NAMES else f"entry {index}"
            if _HMAC_ALGORITHM.match(alg) or alg.lower() == "none":
                problems.append(
                    ConfigProblem(variable["name"], f"{label} is not allowed: only asymmetric algorithms are accepted")
                )
            elif alg not in allowed:
                problems.append(ConfigProblem(variable["name"], f"entry {index} is not a supported algorithm"))
    header = settings.get("assertionHeader")
    if isinstance(header, str) and header != "" and not HTTP_TOKEN.fullmatch(header):
        problems.append(
            ConfigProblem(variable_for_option("assertionHeader")["name"], "must be a valid HTTP header name")
        )
    identity_headers: set[str] = set()
    for option in ("serveUserHeader", "serveEmailHeader", "serveNameHeader", "serveGroupsHeader"):
        value = settings.get(option)
        if not isinstance(value, str):
            continue
        name = variable_for_option(option)["name"]
        if not HTTP_TOKEN.fullmatch(value):
            problems.append(ConfigProblem(name, "must be a valid HTTP header name"))
        elif value.lower() in _RESERVED_RESPONSE_HEADERS:
            problems.append(
                ConfigProblem(name, "must not name a framing, connection, cookie or problem response header")
            )
        elif value.lower() in identity_headers:
            problems.append(ConfigProblem(name, "must differ from the other identity response headers"))
        identity_headers.add(value.lower())
    for option in ("claimSubject", "claimEmail", "claimName", "claimGroups"):
        if settings.get(option) == "":
            problems.append(ConfigProblem(variable_for_option(option)["name"], "must not be empty"))


def _parse_rules(variable: str, items: list[str], problems: list[ConfigProblem], header: bool) -> list[NameValueRule]:
    rules: list[NameValueRule] = []
    for index, item in enumerate(items, start=1):
        name, equals, value = item.partition("=")
        name = js_trim(name)
        valid = HTTP_TOKEN.fullmatch(name) is not None if header else name != ""
        if not valid:
            # By position, never quoted: a misplaced token or secret must not reach logs through this message.
            problems.append(ConfigProblem(variable, f"has an invalid entry (entry {index})"))
            continue
        rules.append(NameValueRule(name, js_trim(value) if equals else None))
    return rules


#: Settings the key source rules name (spelt by the contract, never by hand).
_JWKS_URL = setting_name("jwksUrl")
_JWKS_FILE = setting_name("jwksFile")
_JWKS = setting_name("jwks")
_ISSUER = setting_name("issuer")
_AUDIENCE = setting_name("audience")


def _check_key_source_choice(
    explicit: Mapping[str, str],
    given: Callable[[str], bool],
    several_issuers: bool,
    preset_name: str | None,
    discovery: Discovery,
    problems: list[ConfigProblem],
) -> None:
    """Exactly one key source: `jwksUrl`, `jwksFile` or `jwks`, or the entries
    of `issuers` (which then stand alone: `issuer`, the top-level key sources and a preset
    would make it ambiguous which issuer's keys verify what). A local key set is not combined with a preset
    (presets derive or forbid key URLs of their own) nor with OpenID discovery. Same messages as the TypeScript core."""
    sources = [
        name for name in (_JWKS_URL, _JWKS_FILE, _JWKS) if (name in explicit if name == _JWKS_URL else given(name))
    ]
    if several_issuers:
        conflicting = ([_ISSUER] if _ISSUER in explicit else []) + sources
        if preset_name is not None:
            conflicting.append("TRUSTED_PROXY_PRESET")
        for name in conflicting:
            problems.append(
                ConfigProblem(
                    name, f"must not be set with {ISSUERS_VARIABLE} (each issuer entry names its own issuer and keys)"
                )
            )
        if discovery == "force":
            problems.append(
                ConfigProblem(
                    ISSUERS_VARIABLE, 'cannot be used with --discover (set "discovery": true in an entry instead)'
                )
            )
        return
    if len(sources) > 1:
        problems.append(
            ConfigProblem(sources[1], f"must not be set with {sources[0]}: exactly one key source may be set")
        )
    local = next((name for name in sources if name != _JWKS_URL), None)
    if local is not None and preset_name is not None:
        problems.append(
            ConfigProblem(local, "must not be set with TRUSTED_PROXY_PRESET (the preset names its own key source)")
        )
    if local is not None and discovery == "force":
        problems.append(ConfigProblem(local, "must not be set with --discover: keys come from the discovery document"))


def load_config(env: Mapping[str, str] | None = None, **overrides: Any) -> TrustedProxyAuthConfig:
    """Reads TRUSTED_PROXY_* settings from `env` (default `os.environ`), an optional JSON config file and
    `overrides` (snake_case option names, which win), validates them against contract/env.json and returns
    the frozen configuration. Every problem is reported at once in one `invalid_config` error.
    """
    return load_config_discovering(env, "off", **overrides)


def load_config_discovering(
    env: Mapping[str, str] | None, discovery: Discovery, **overrides: Any
) -> TrustedProxyAuthConfig:
    """`load_config` with the command line's choice of OpenID discovery (adapters keep "off"): "auto" finds
    the key set by discovery without a preset and a key URL, when the one issuer is https; "force" always
    does (the key URL must not be set then). Rules: contract/presets.json `jwksUrlRules.discovery`. Raises
    `invalid_config`.
    """
    return _load(env, discovery, overrides, None)


def load_config_with_enrollment(
    env: Mapping[str, str] | None,
    enrollment_settings: Mapping[str, object],
    discovery: Discovery = "off",
    **overrides: Any,
) -> TrustedProxyAuthConfig:
    """`load_config` with `enrollment_settings` (TRUSTED_PROXY_* names, config-file value types) in place of the
    record the enrollment file setting names, at the same lowest precedence: what an enrollment would run
    with once written. Raises `invalid_config`."""
    return _load(env, discovery, overrides, enrollment_settings)


def _read_enrollment_settings(path: str, problems: list[ConfigProblem]) -> dict[str, str]:
    """The settings of the enrollment record at `path` as setting texts; none when no file exists there. An
    unreadable or invalid record adds its problems (contract/enrollment.json)."""
    # Imported here: the enrollment package builds on this module.
    from .enrollment.record import read_enrollment_record

    try:
        record = read_enrollment_record(path)
    except TrustedProxyAuthError as error:
        problems.extend(error.problems or ())
        return {}
    return {} if record is None else _settings_texts(record["settings"])


def _settings_texts(settings: Mapping[str, object]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for name, value in settings.items():
        text = _setting_text(value)
        if text is not None:
            texts[name] = text
    return texts


def _load(
    env: Mapping[str, str] | None,
    discovery: Discovery,
    overrides: Mapping[str, Any],
    enrollment: Mapping[str, object] | None,
) -> TrustedProxyAuthConfig:
    environment: Mapping[str, str] = os.environ if env is None else env
    variables = env_variables()
    problems: list[ConfigProblem] = []
    known = {variable["name"] for variable in variables}
    option_of = {snake_case(variable["option"]): variable for variable in variables}

    for name, setting in environment.items():
        if name.startswith("TRUSTED_PROXY_") and name not in known and setting is not None:
            problems.append(ConfigProblem(name, "is not a known setting"))
    for option, override in overrides.items():
        if option not in option_of and override is not None:
            problems.append(ConfigProblem(option, "is not a known option"))

    by_name = {variable["name"]: snake_case(variable["option"]) for variable in variables}

    def option_text(variable_name: str) -> str | None:
        return _setting_text(overrides.get(by_name[variable_name]))

    config_file_path = option_text("TRUSTED_PROXY_CONFIG_FILE")
    if config_file_path is None:
        config_file_path = environment.get("TRUSTED_PROXY_CONFIG_FILE")
    file_settings = _read_config_file(config_file_path, problems) if config_file_path else {}
    for name in file_settings:
        if name not in known:
            problems.append(ConfigProblem(name, "is not a known setting (in TRUSTED_PROXY_CONFIG_FILE)"))

    # The enrollment record's settings: the lowest-precedence source (contract/enrollment.json `precedence`).
    enrollment_file = variable_for_option("enrollmentFile")["name"]
    enrollment_path = option_text(enrollment_file)
    if enrollment_path is None:
        enrollment_path = environment.get(enrollment_file, file_settings.get(enrollment_file))
    if enrollment is not None:
        enrollment_settings = _settings_texts(enrollment)
    elif enrollment_path:
        enrollment_settings = _read_enrollment_settings(enrollment_path, problems)
    else:
        enrollment_settings = {}
    forbidden = set(enrollment_contract_forbidden_settings())
    for name in enrollment_settings:
        if name not in known:
            problems.append(ConfigProblem(name, f"is not a known setting (in {enrollment_file})"))
        elif name in forbidden:
            problems.append(ConfigProblem(name, "must not come from an enrollment record"))

    # Explicit settings (code, environment, file, enrollment record) in that precedence; a preset only fills
    # what is left.
    explicit: dict[str, str] = {}
    for variable in variables:
        name = variable["name"]
        text = option_text(name)
        if text is None:
            text = environment.get(name)
        if text is None:
            text = file_settings.get(name)
        recorded = None if name in forbidden else enrollment_settings.get(name)
        if text is not None and recorded is not None:
            # A record value hidden by a higher source must still be one the runtime accepts: the record may be
            # used alone later.
            hidden: list[ConfigProblem] = []
            _parse_value(variable, recorded, hidden)
            problems.extend(
                ConfigProblem(problem.variable, f"{problem.message} (in {enrollment_file})") for problem in hidden
            )
        if text is None:
            text = recorded
        if text is not None:
            explicit[name] = text
    preset_name = js_trim(explicit.get("TRUSTED_PROXY_PRESET", "")) or None
    if preset_name is not None and not is_known_preset(preset_name):
        preset_list = ", ".join(presets())
        problems.append(ConfigProblem("TRUSTED_PROXY_PRESET", f"is not a known preset (known: {preset_list})"))
    preset = apply_preset(preset_name, explicit, problems, discovery)
    merged = preset.settings
    jwks_url_name = variable_for_option("jwksUrl")["name"]

    def given(name: str) -> bool:
        return js_trim(merged.get(name) or "") != ""

    several_issuers = given(ISSUERS_VARIABLE)
    local_keys = given(_JWKS_FILE) or given(_JWKS)
    # Settings another one replaces: each issuer entry has its own issuer and keys, a local key set the URL.
    replaced: set[str] = set()
    if several_issuers:
        replaced |= {_ISSUER, _AUDIENCE, _JWKS_URL}
    if local_keys:
        replaced.add(_JWKS_URL)
    _check_key_source_choice(explicit, given, several_issuers, preset_name, discovery, problems)

    settings: dict[str, Any] = {}
    for variable in variables:
        if variable["name"] == jwks_url_name and preset.key_source.decided:
            # The preset decided where keys come from (and reported any problem with it).
            settings[variable["option"]] = source_setting(preset.key_source)
            continue
        text = merged.get(variable["name"])
        value: Any = variable["default"] if text is None else _parse_value(variable, text, problems)
        if isinstance(value, list):
            value = list(value)
        if (
            variable["required"]
            and variable["name"] not in replaced
            and _is_empty(value)
            and not (text is not None and value is None)
        ):
            problems.append(ConfigProblem(variable["name"], "is required"))
        settings[variable["option"]] = value
    _check_policy(settings, problems)

    settings["requiredClaims"] = _parse_rules(
        "TRUSTED_PROXY_REQUIRED_CLAIMS", settings.get("requiredClaims") or [], problems, header=False
    )
    settings["requiredHeaders"] = _parse_rules(
        "TRUSTED_PROXY_REQUIRED_HEADERS", settings.get("requiredHeaders") or [], problems, header=True
    )
    settings["preset"] = preset_name
    settings["awsAlbArn"] = settings.get("awsAlbArn") or None
    settings["sharedSecret"] = settings.get("sharedSecret") or None
    if "sharedSecretHS256" in preset.quirks:
        # The shared secret replaces the asymmetric allow-list (which the preset forbids setting).
        settings["algorithms"] = [SHARED_SECRET_ALGORITHM]
    key_source: KeySource | None = preset.key_source.source if preset.key_source.decided else None
    settings["jwksFile"] = settings.get("jwksFile") or None
    settings["jwks"] = settings.get("jwks") or None
    if isinstance(settings["jwksFile"], str):
        key_source = JwksFileSource(settings["jwksFile"])
    elif isinstance(settings["jwks"], str):
        keys = inline_key_set(settings["jwks"], _JWKS, "", problems)
        if keys is not None:
            key_source = InlineJwksSource(keys)
    entries: tuple[IssuerConfig, ...] = ()
    if several_issuers:
        defaults = IssuerDefaults(
            audience=tuple(settings.get("audience") or ()),
            algorithms=tuple(settings.get("algorithms") or ()),
            clock_tolerance=int(settings.get("clockTolerance") or 0),
        )
        entries = parse_issuer_entries(settings["issuers"], defaults, problems)
    settings["issuers"] = entries
    if entries:
        settings["issuer"] = [entry.issuer for entry in entries]
        settings["jwksUrl"] = None
        key_source = entries[0].key_source

    if problems:
        raise TrustedProxyAuthError("invalid_config", problems=problems)

    values: dict[str, Any] = {
        snake_case(option): tuple(v) if isinstance(v, list) else v for option, v in settings.items()
    }
    values["preset_quirks"] = preset.quirks
    values["key_source"] = key_source
    return TrustedProxyAuthConfig(**values)


def config_field_names() -> tuple[str, ...]:
    """Field names of TrustedProxyAuthConfig (a test checks they are exactly the contract's options)."""
    return tuple(f.name for f in fields(TrustedProxyAuthConfig))
