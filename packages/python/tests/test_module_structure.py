"""How the package's modules depend on each other: no import circle (imports under TYPE_CHECKING included), and
the verification stages never import a proxy's quirk by name: the quirks plug into named stages through
`_quirks.registry`. The same rules as the TypeScript core's test/module-structure.test.ts."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trusted_proxy_auth import TrustedProxyAuthError, load_config
from trusted_proxy_auth._contract import presets_contract, setting_name
from trusted_proxy_auth._quirk_stages import NO_QUIRK_STAGES, QuirkStages, combine_quirk_stages
from trusted_proxy_auth._quirks.registry import QUIRK_PLUGS, quirk_stages_for
from trusted_proxy_auth.claims import check_claims

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "trusted_proxy_auth"
REGISTRY = "trusted_proxy_auth._quirks.registry"
QUIRKS = "trusted_proxy_auth._quirks."

#: Modules outside `_quirks` that still import a quirk's own module, and why. They belong to loading a preset's
#: configuration, to its key sources or to onboarding, not to the verification stages; a stage added here fails.
PRESET_LAYER_IMPORTS = {
    "trusted_proxy_auth.config": "sharedSecretHS256 fixes the algorithm list when the configuration is loaded",
    "trusted_proxy_auth._presets": "the quirks' own settings (ALB ARN, secret length) are validated with the preset",
    "trusted_proxy_auth._key_sources.shared_secret_keys": "the shared secret's key source (sharedSecretHS256)",
    "trusted_proxy_auth._key_sources.kid_template_keys": "the kid-template key source refuses a non-UUID kid again",
    "trusted_proxy_auth.enrollment.decoded_assertion": "onboarding decodes an assertion of any preset, padded too",
    "trusted_proxy_auth.enrollment.checks": "onboarding decodes an assertion of any preset, padded too",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each module of the package with the package modules it imports anywhere in its text."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                candidates = [source, *(f"{source}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            targets.update(candidate for candidate in candidates if candidate in modules and candidate != name)
        graph[name] = targets
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, ()):
            if target not in graph:
                continue
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], order[target])
        if low[module] != order[module]:
            return
        component = []
        while True:
            member = stack.pop()
            on_stack.discard(member)
            component.append(member)
            if member == module:
                break
        if len(component) > 1:
            circles.append(sorted(component))

    for module in graph:
        if module not in order:
            visit(module)
    return circles


GRAPH = import_graph()


def test_the_graph_is_read() -> None:
    assert REGISTRY in GRAPH["trusted_proxy_auth.verifier"]
    assert "trusted_proxy_auth._quirk_stages" in GRAPH["trusted_proxy_auth.claims"]


def test_no_import_circle() -> None:
    assert import_circles(GRAPH) == []


def test_a_circle_is_detected() -> None:
    with_circle = {
        **GRAPH,
        "trusted_proxy_auth.errors": {*GRAPH["trusted_proxy_auth.errors"], "trusted_proxy_auth.claims"},
    }
    assert any("trusted_proxy_auth.errors" in circle for circle in import_circles(with_circle))


def test_no_stage_imports_a_quirk_by_name() -> None:
    by_name = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if not module.startswith(QUIRKS) and module not in PRESET_LAYER_IMPORTS
        for target in targets
        if target.startswith(QUIRKS) and target != REGISTRY
    )
    assert by_name == []


@pytest.mark.parametrize("module", sorted(PRESET_LAYER_IMPORTS))
def test_each_preset_layer_exception_still_imports_a_quirk(module: str) -> None:
    assert any(target.startswith(QUIRKS) and target != REGISTRY for target in GRAPH[module])


# -- the plugs ------------------------------------------------------------------------------------------

PLAIN = {
    "TRUSTED_PROXY_ASSERTION_HEADER": "X-Identity",
    "TRUSTED_PROXY_JWKS_URL": "https://idp.example/jwks.json",
    "TRUSTED_PROXY_ISSUER": "https://idp.example",
    "TRUSTED_PROXY_AUDIENCE": "app",
}
ALB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/0123456789abcdef"
ALB = {
    "TRUSTED_PROXY_PRESET": "aws-alb",
    "TRUSTED_PROXY_AWS_ALB_ARN": ALB_ARN,
    "TRUSTED_PROXY_AUDIENCE": "client-id",
    "TRUSTED_PROXY_ISSUER": "https://idp.example",
}


def test_plugs_for_exactly_the_contract_quirks() -> None:
    assert sorted(QUIRK_PLUGS) == sorted(presets_contract()["quirks"])


def test_no_preset_plugs_nothing() -> None:
    assert quirk_stages_for(load_config(PLAIN)) == NO_QUIRK_STAGES


@pytest.mark.parametrize(
    ("quirks", "refusal"),
    [
        ({"someNewQuirk": {}}, "quirk someNewQuirk has no plugs in this library"),
        ({"subjectOptional": {}}, "quirk subjectOptional needs its fallbackClaim parameter"),
    ],
)
def test_quirks_the_library_cannot_plug_are_refused(quirks: dict[str, dict[str, object]], refusal: str) -> None:
    with pytest.raises(TypeError, match=refusal):
        quirk_stages_for(dataclasses.replace(load_config(PLAIN), preset_quirks=quirks))


def test_two_quirks_on_one_single_plug_are_refused() -> None:
    def audience(_header: dict[str, object], audiences: tuple[str, ...]) -> tuple[str, ...]:
        return audiences

    with pytest.raises(TypeError, match="quirks first and second both plug audience"):
        combine_quirk_stages([("first", QuirkStages(audience=audience)), ("second", QuirkStages(audience=audience))])


def test_aws_alb_plugs_in_contract_order_the_signer_before_the_issuers() -> None:
    config = load_config(ALB)
    stages = quirk_stages_for(config)
    assert stages.required_header_strings == ("signer", "client")
    assert stages.audience_optional is True
    assert stages.segment is not None
    assert stages.segment("YQ==") == "YQ"
    assert stages.kid_accepted is not None
    assert stages.kid_accepted("not-a-uuid") is False
    assert stages.email_verified is not None
    assert stages.email_verified({"email_verified": "true"}) is True
    assert len(stages.before_issuer) == 2
    # A foreign signer and disagreeing issuers: the signer's error comes first.
    header = {"signer": "arn:other", "iss": "https://a"}
    with pytest.raises(TrustedProxyAuthError) as raised:
        _run_all(stages.before_issuer, header, {"iss": "https://b"})
    assert raised.value.code == "issuer_mismatch"
    assert 'header member "signer"' in (raised.value.detail or "")


def _run_all(
    checks: tuple[Callable[[dict[str, Any], dict[str, Any]], None], ...],
    header: dict[str, Any],
    payload: dict[str, Any],
) -> None:
    for check in checks:
        check(header, payload)


def test_an_alb_signer_configuration_without_its_arn_is_refused_when_the_stages_are_built() -> None:
    # load_config never makes one (the preset requires the ARN); one built by hand is a configuration error at
    # once, not an issuer_mismatch on every request.
    config = load_config(ALB)
    with pytest.raises(TrustedProxyAuthError) as raised:
        quirk_stages_for(dataclasses.replace(config, aws_alb_arn=None))
    assert raised.value.code == "invalid_config"
    assert [(problem.variable, problem.message) for problem in raised.value.problems or ()] == [
        (setting_name("awsAlbArn"), "is required by quirk albSignerHeader")
    ]


def test_claim_rules_follow_the_stages_not_only_the_configuration() -> None:
    # The same configuration checked without and then with a quirk's plugs: the rules built for the first must not
    # answer for the second (cloudflare-access's fallback subject).
    config = load_config(PLAIN)
    payload = {"iss": "https://idp.example", "aud": "app", "exp": 2_000_000_000, "sub": "", "common_name": "svc"}
    with pytest.raises(TrustedProxyAuthError) as raised:
        check_claims({}, payload, config, NO_QUIRK_STAGES, 1_700_000_000)
    assert raised.value.code == "missing_claim"
    fallback = quirk_stages_for(
        dataclasses.replace(config, preset_quirks={"subjectOptional": {"fallbackClaim": "common_name"}})
    )
    with pytest.raises(TrustedProxyAuthError) as typed:
        check_claims({}, {**payload, "common_name": 5}, config, fallback, 1_700_000_000)
    assert typed.value.code == "malformed_assertion"
    assert check_claims({}, payload, config, fallback, 1_700_000_000).subject == "svc"
