"""Applies contract/presets.json: a preset's defaults under the explicit settings, its `requires` and
`forbids`, the quirks' own settings, and where keys come from (`jwksUrlRules`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, cast

from ._contract import presets, presets_contract, variable_for_option
from ._key_sources.key_source import (
    DiscoverySource,
    JwksSource,
    KeySource,
    KidTemplateSource,
    SharedSecretSource,
)
from ._key_sources.openid_discovery import discovery_url_for
from ._quirks.alb_arn import parse_alb_arn
from ._quirks.shared_secret_hs256 import shared_secret_problem
from ._text import js_trim
from ._url_rules import key_url_problem
from .errors import ConfigProblem

#: The quirks a preset switches on, with their parameters (e.g. `{"subjectOptional": {"fallbackClaim": ...}}`).
PresetQuirks = Mapping[str, Mapping[str, Any]]

#: The kid that stands in for any real one when a `{kid}` template is checked against the URL rules.
PLACEHOLDER_KID = "00000000-0000-0000-0000-000000000000"
#: `https://host` or `https://host:port`, nothing else: the only issuer a `{issuer}` template may be built from.
_HTTPS_ORIGIN = re.compile(r"https://([^\s/?#@:\[\]]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")


def _name(option: str) -> str:
    return variable_for_option(option)["name"]


@dataclass(frozen=True)
class KeySourcePlan:
    """`decided` False leaves the key URL (option `jwksUrl`) to the common rules (a plain key set URL); True
    means the preset decided where keys come from (`source` None when that failed with a problem)."""

    decided: bool
    source: KeySource | None = None


_COMMON = KeySourcePlan(decided=False)


@dataclass(frozen=True)
class PresetResult:
    #: Explicit settings with the preset's defaults under them.
    settings: dict[str, str]
    quirks: PresetQuirks = field(default_factory=lambda: MappingProxyType({}))
    key_source: KeySourcePlan = _COMMON


def is_known_preset(name: str) -> bool:
    return name in presets()


def _quirk_definitions() -> dict[str, Any]:
    return cast("dict[str, Any]", presets_contract().get("quirks", {}))


def _presets_with_quirk_setting(variable: str) -> list[str]:
    quirk_names = [name for name, quirk in _quirk_definitions().items() if variable in quirk.get("settings", [])]
    return [name for name, preset in presets().items() if any(quirk in preset["quirks"] for quirk in quirk_names)]


def _check_quirk_settings(
    preset: Mapping[str, Any] | None, explicit: Mapping[str, str], problems: list[ConfigProblem]
) -> None:
    """Settings a quirk owns are refused unless the selected preset switches that quirk on: never silently
    ignored."""
    for quirk_name, quirk in _quirk_definitions().items():
        if preset is not None and quirk_name in preset["quirks"]:
            continue
        for variable in quirk.get("settings", []):
            if variable in explicit:
                users = ", ".join(_presets_with_quirk_setting(variable))
                problems.append(ConfigProblem(variable, f"is only used by preset(s) {users}"))


def _check_quirk_setting_values(
    preset: Mapping[str, Any], explicit: Mapping[str, str], problems: list[ConfigProblem]
) -> None:
    """Validation the quirks' own settings need beyond their env.json type; messages never carry a secret."""
    arn_name = _name("awsAlbArn")
    arn = explicit.get(arn_name)
    if "albSignerHeader" in preset["quirks"] and arn is not None and parse_alb_arn(js_trim(arn)) is None:
        problems.append(
            ConfigProblem(
                arn_name,
                "must be an Application Load Balancer ARN: "
                "arn:<partition>:elasticloadbalancing:<region>:<account id>:loadbalancer/app/<name>/<id>",
            )
        )
    secret_name = _name("sharedSecret")
    secret = explicit.get(secret_name)
    if "sharedSecretHS256" in preset["quirks"] and secret is not None:
        problem = shared_secret_problem(js_trim(secret))
        if problem is not None:
            problems.append(ConfigProblem(secret_name, problem))


def _one_issuer(settings: Mapping[str, str]) -> str | None:
    issuers = [item for item in (js_trim(part) for part in settings.get(_name("issuer"), "").split(",")) if item]
    return issuers[0] if len(issuers) == 1 else None


def _explicit_kid_template(text: str, problems: list[ConfigProblem]) -> KeySource | None:
    """An explicit `{kid}` template: `{kid}` exactly once, no other brace, and a valid key URL once a kid is
    in."""
    template = js_trim(text)
    parts = template.split("{kid}")
    if len(parts) != 2 or re.search(r"[{}]", "".join(parts)):
        problems.append(ConfigProblem(_name("jwksUrl"), "must contain {kid} exactly once and no other { or }"))
        return None
    problem = key_url_problem(template.replace("{kid}", PLACEHOLDER_KID))
    if problem is not None:
        problems.append(ConfigProblem(_name("jwksUrl"), problem))
        return None
    return KidTemplateSource(template)


def _plan_key_source(
    preset_name: str,
    rule: Mapping[str, Any],
    explicit: Mapping[str, str],
    settings: dict[str, str],
    problems: list[ConfigProblem],
) -> KeySourcePlan:
    """contract/presets.json `jwksUrlRules`: decides where keys come from, or leaves the key URL
    to the common rules."""
    jwks_url = _name("jwksUrl")
    explicit_url = explicit.get(jwks_url)
    kind = rule["rule"]
    if kind == "fixed":
        if explicit_url is None:
            settings[jwks_url] = rule["url"]
        return _COMMON
    if kind == "template":
        if explicit_url is not None:
            return _COMMON
        issuer = _one_issuer(settings)
        if issuer is None or _HTTPS_ORIGIN.fullmatch(issuer) is None or key_url_problem(issuer) is not None:
            problems.append(ConfigProblem(jwks_url, f"is required: it cannot be derived from {_name('issuer')}"))
            return KeySourcePlan(decided=True)
        settings[jwks_url] = rule["template"].replace("{issuer}", issuer)
        return _COMMON
    if kind == "kidTemplate":
        if explicit_url is not None:
            return KeySourcePlan(decided=True, source=_explicit_kid_template(explicit_url, problems))
        arn = parse_alb_arn(js_trim(explicit.get(_name("awsAlbArn"), "")))
        # A missing or invalid ARN is already a problem of its own; there is no region to derive from.
        if arn is None:
            return KeySourcePlan(decided=True)
        if arn.partition != "aws":
            problems.append(ConfigProblem(jwks_url, "is required for this partition"))
            return KeySourcePlan(decided=True)
        return KeySourcePlan(decided=True, source=KidTemplateSource(rule["template"].replace("{region}", arn.region)))
    if kind == "discovery":
        if explicit_url is not None:
            return _COMMON
        issuer = _one_issuer(settings)
        if issuer is None or key_url_problem(issuer) is not None:
            problems.append(ConfigProblem(jwks_url, f"is required: it cannot be discovered from {_name('issuer')}"))
            return KeySourcePlan(decided=True)
        return KeySourcePlan(decided=True, source=DiscoverySource(issuer, discovery_url_for(issuer)))
    if kind == "required":
        return _COMMON
    if kind == "forbidden":
        if explicit_url is not None:
            problems.append(ConfigProblem(jwks_url, f"must not be set with preset {preset_name}"))
            return KeySourcePlan(decided=True)
        return KeySourcePlan(decided=True, source=SharedSecretSource())
    raise ValueError(f"contract jwksUrl rule {kind} is not implemented")


#: How keys are found when no key URL is set: see `load_config(discovery=...)`.
Discovery = Literal["off", "auto", "force"]
_DISCOVERY_RULE: Mapping[str, Any] = MappingProxyType({"rule": "discovery"})


def _discovery_plan(
    preset_name: str | None,
    rule: Mapping[str, Any] | None,
    explicit: Mapping[str, str],
    settings: dict[str, str],
    problems: list[ConfigProblem],
    discovery: Discovery,
) -> KeySourcePlan | None:
    """The CLI's discovery choice, or None to leave the key source to the preset and the key URL. `auto`
    applies only without a preset and a key URL, when the one issuer is https; `force` replaces a
    preset's key URL rule except where keys are not a key set."""
    if discovery == "off":
        return None
    jwks_url = _name("jwksUrl")
    if discovery == "auto":
        # A preset names its own key source, or (rule `required`) a key host only the operator knows.
        if jwks_url in explicit or rule is not None:
            return None
        if not (_one_issuer(settings) or "").startswith("https://"):
            return None
        return _plan_key_source(preset_name or "none", _DISCOVERY_RULE, explicit, settings, problems)
    if jwks_url in explicit:
        problems.append(
            ConfigProblem(
                jwks_url, "must not be set with --discover: the key set URL comes from the discovery document"
            )
        )
        return KeySourcePlan(decided=True)
    if rule is not None and rule["rule"] in ("kidTemplate", "forbidden"):
        problems.append(
            ConfigProblem(
                _name("preset"), f"preset {preset_name or ''} does not use a key set, so keys cannot be discovered"
            )
        )
        return KeySourcePlan(decided=True)
    return _plan_key_source(preset_name or "none", _DISCOVERY_RULE, explicit, settings, problems)


def apply_preset(
    preset_name: str | None,
    explicit: Mapping[str, str],
    problems: list[ConfigProblem],
    discovery: Discovery = "off",
) -> PresetResult:
    """Fills the preset's defaults under the explicit settings (code, environment, config file), enforces
    `requires`, `forbids` and the quirks' own settings, and decides where keys come from. Without a preset
    only the quirk settings are checked (they need one)."""
    preset = presets().get(preset_name) if preset_name is not None else None
    _check_quirk_settings(preset, explicit, problems)
    if preset is None or preset_name is None:
        plain = dict(explicit)
        plan = _discovery_plan(None, None, explicit, plain, problems, discovery)
        return PresetResult(settings=plain, key_source=plan or _COMMON)

    settings: dict[str, str] = {**preset["defaults"], **explicit}
    for variable in preset.get("requires", []):
        if variable not in explicit:
            problems.append(ConfigProblem(variable, f"is required by preset {preset_name}"))
    for variable in preset.get("forbids", []):
        if variable in explicit:
            problems.append(ConfigProblem(variable, f"must not be set with preset {preset_name}"))
    _check_quirk_setting_values(preset, explicit, problems)
    plan = _discovery_plan(preset_name, preset["jwksUrl"], explicit, settings, problems, discovery)
    if plan is None:
        plan = _plan_key_source(preset_name, preset["jwksUrl"], explicit, settings, problems)
    quirks = MappingProxyType(
        {name: MappingProxyType(dict(parameters)) for name, parameters in preset["quirks"].items()}
    )
    return PresetResult(settings=settings, quirks=quirks, key_source=plan)


def source_setting(plan: KeySourcePlan) -> str | None:
    """The key URL setting (option `jwksUrl`) as a decided key source gives it: a key set URL, a `{kid}`
    template, or None."""
    source = plan.source
    if isinstance(source, JwksSource):
        return source.url
    if isinstance(source, KidTemplateSource):
        return source.template
    return None
