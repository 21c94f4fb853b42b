"""contract/presets.json applied by load_config: defaults under explicit settings, requires/forbids, the
quirks' own settings, and the key URL rules with the exact problem messages the contract gives."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from trusted_proxy_auth import TrustedProxyAuthError, load_config
from trusted_proxy_auth._contract import presets_contract
from trusted_proxy_auth._key_sources.key_source import (
    DiscoverySource,
    JwksSource,
    KidTemplateSource,
    SharedSecretSource,
)
from trusted_proxy_auth._quirks.alb_arn import ALB_ARN_PATTERN

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac"
SECRET = "test-only-shared-secret-of-more-than-32-bytes"
JWKS_URL = "TRUSTED_PROXY_JWKS_URL"


def problems(env: dict[str, str], **overrides: Any) -> list[tuple[str, str]]:
    with pytest.raises(TrustedProxyAuthError) as raised:
        load_config(env, **overrides)
    assert raised.value.code == "invalid_config"
    assert raised.value.problems is not None
    return [(problem.variable, problem.message) for problem in raised.value.problems]


def _env(base: dict[str, str], extra: dict[str, str | None]) -> dict[str, str]:
    merged: dict[str, str | None] = {**base, **extra}
    return {name: value for name, value in merged.items() if value is not None}


def cloudflare(**extra: str | None) -> dict[str, str]:
    return _env(
        {
            "TRUSTED_PROXY_PRESET": "cloudflare-access",
            "TRUSTED_PROXY_ISSUER": "https://example-team.cloudflareaccess.com",
            "TRUSTED_PROXY_AUDIENCE": "aud-tag",
        },
        extra,
    )


def alb(**extra: str | None) -> dict[str, str]:
    return _env(
        {
            "TRUSTED_PROXY_PRESET": "aws-alb",
            "TRUSTED_PROXY_AWS_ALB_ARN": ARN,
            "TRUSTED_PROXY_ISSUER": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ex4mpLe01",
            "TRUSTED_PROXY_AUDIENCE": "client-id",
        },
        extra,
    )


def authentik(**extra: str | None) -> dict[str, str]:
    return _env(
        {
            "TRUSTED_PROXY_PRESET": "authentik",
            "TRUSTED_PROXY_SHARED_SECRET": SECRET,
            "TRUSTED_PROXY_ISSUER": "https://auth.example.com/application/o/whoami/",
            "TRUSTED_PROXY_AUDIENCE": "client-id",
        },
        extra,
    )


def oauth2_proxy(**extra: str | None) -> dict[str, str]:
    return _env(
        {
            "TRUSTED_PROXY_PRESET": "oauth2-proxy",
            "TRUSTED_PROXY_ISSUER": "https://idp.example.com/realms/corp/",
            "TRUSTED_PROXY_AUDIENCE": "oauth2-proxy",
        },
        extra,
    )


PLAIN = {
    "TRUSTED_PROXY_ASSERTION_HEADER": "X-A",
    "TRUSTED_PROXY_JWKS_URL": "https://k.example/jwks.json",
    "TRUSTED_PROXY_ISSUER": "i",
    "TRUSTED_PROXY_AUDIENCE": "a",
}


# -- defaults and precedence -------------------------------------------------------------------------


def test_the_preset_fills_defaults_and_is_recorded_with_its_quirks() -> None:
    config = load_config(cloudflare())
    assert config.preset == "cloudflare-access"
    assert config.assertion_header == "Cf-Access-Jwt-Assertion"
    assert config.algorithms == ("RS256",)
    assert config.preset_quirks == {"subjectOptional": {"fallbackClaim": "common_name"}}
    assert isinstance(config.preset_quirks, MappingProxyType)
    assert isinstance(config.preset_quirks["subjectOptional"], MappingProxyType)


def test_options_then_environment_then_config_file_win_over_the_preset(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(
        json.dumps(
            {
                "TRUSTED_PROXY_PRESET": "teleport",
                "TRUSTED_PROXY_CLAIM_GROUPS": "from-file",
                "TRUSTED_PROXY_CLAIM_NAME": "from-file",
            }
        )
    )
    config = load_config(
        {
            "TRUSTED_PROXY_CONFIG_FILE": str(settings),
            "TRUSTED_PROXY_CLAIM_NAME": "from-env",
            "TRUSTED_PROXY_JWKS_URL": "https://teleport.example.com/.well-known/jwks.json",
            "TRUSTED_PROXY_ISSUER": "teleport.example.com",
            "TRUSTED_PROXY_AUDIENCE": "http://localhost:8080",
        },
        algorithms=["ES256"],
    )
    assert config.preset == "teleport"
    assert config.assertion_header == "Teleport-Jwt-Assertion"
    assert config.algorithms == ("ES256",)
    assert config.claim_groups == "from-file"
    assert config.claim_name == "from-env"
    assert config.preset_quirks == {"kidOptionalTryAll": {}}


def test_a_filled_value_is_validated_like_an_explicit_one() -> None:
    config = load_config({"TRUSTED_PROXY_PRESET": "google-iap", "TRUSTED_PROXY_AUDIENCE": "/projects/1/apps/x"})
    assert config.issuer == ("https://cloud.google.com/iap",)
    assert config.algorithms == ("ES256",)
    assert config.claim_groups == "groups"


def test_no_preset_means_no_quirks_and_a_plain_key_set() -> None:
    config = load_config(PLAIN)
    assert config.preset is None
    assert config.preset_quirks == {}
    assert config.key_source == JwksSource("https://k.example/jwks.json")


def test_an_unknown_preset_is_refused() -> None:
    assert (
        "TRUSTED_PROXY_PRESET",
        "is not a known preset (known: cloudflare-access, pomerium, google-iap, aws-alb, oauth2-proxy, teleport, "
        "authentik)",
    ) in problems(cloudflare(TRUSTED_PROXY_PRESET="nginx"))


# -- requires, forbids and quirk settings ---------------------------------------------------------------


def test_required_and_forbidden_settings_name_the_preset() -> None:
    assert ("TRUSTED_PROXY_AWS_ALB_ARN", "is required by preset aws-alb") in problems(
        alb(TRUSTED_PROXY_AWS_ALB_ARN=None)
    )
    assert problems(alb(TRUSTED_PROXY_MAX_AGE="300")) == [
        ("TRUSTED_PROXY_MAX_AGE", "must not be set with preset aws-alb")
    ]
    assert ("TRUSTED_PROXY_ALGORITHMS", "must not be set with preset authentik") in problems(
        authentik(TRUSTED_PROXY_ALGORITHMS="HS256")
    )
    assert problems(authentik(TRUSTED_PROXY_SHARED_SECRET=None)) == [
        ("TRUSTED_PROXY_SHARED_SECRET", "is required by preset authentik")
    ]


def test_a_quirk_setting_is_refused_unless_the_preset_switches_its_quirk_on() -> None:
    assert problems({**cloudflare(), "TRUSTED_PROXY_AWS_ALB_ARN": ARN}) == [
        ("TRUSTED_PROXY_AWS_ALB_ARN", "is only used by preset(s) aws-alb")
    ]
    assert problems(PLAIN, shared_secret=SECRET) == [
        ("TRUSTED_PROXY_SHARED_SECRET", "is only used by preset(s) authentik")
    ]


def test_the_arn_is_checked_against_the_contract_pattern() -> None:
    rule = presets_contract()["quirks"]["albSignerHeader"]["rules"][0]
    assert f"`^{ALB_ARN_PATTERN.pattern}$`" in rule
    assert problems(alb(TRUSTED_PROXY_AWS_ALB_ARN=ARN.replace("/app/", "/net/"))) == [
        (
            "TRUSTED_PROXY_AWS_ALB_ARN",
            "must be an Application Load Balancer ARN: "
            "arn:<partition>:elasticloadbalancing:<region>:<account id>:loadbalancer/app/<name>/<id>",
        )
    ]
    assert load_config(alb(TRUSTED_PROXY_AWS_ALB_ARN=f"  {ARN} ")).aws_alb_arn == ARN


def test_every_preset_has_the_quirks_its_quirks_need() -> None:
    quirks = presets_contract()["quirks"]
    for name, preset in presets_contract()["presets"].items():
        for quirk in preset["quirks"]:
            assert quirk in quirks, f"{name}: {quirk}"
            for needed in quirks[quirk].get("requiresQuirks", []):
                assert needed in preset["quirks"], f"{name}: {quirk} needs {needed}"


# -- key URL rules --------------------------------------------------------------------------------------


def test_fixed_uses_the_vendor_url_unless_one_is_set() -> None:
    env = {"TRUSTED_PROXY_PRESET": "google-iap", "TRUSTED_PROXY_AUDIENCE": "/projects/1/apps/x"}
    assert load_config(env).jwks_url == "https://www.gstatic.com/iap/verify/public_key-jwk"
    explicit = load_config({**env, JWKS_URL: "http://127.0.0.1:8080/jwk"})
    assert explicit.key_source == JwksSource("http://127.0.0.1:8080/jwk")


@pytest.mark.parametrize(
    "issuer",
    [
        "https://t.example.com/",
        "https://t.example.com/x",
        "http://t.example.com",
        "https://u@t.example.com",
        "https://t.example.com?x",
        "https://t.example.com#x",
        "https://a.example,https://b.example",
        "t.example.com",
    ],
)
def test_template_needs_one_https_origin_issuer(issuer: str) -> None:
    assert problems(cloudflare(TRUSTED_PROXY_ISSUER=issuer)) == [
        (JWKS_URL, "is required: it cannot be derived from TRUSTED_PROXY_ISSUER")
    ]


def test_template_builds_the_key_url_from_the_issuer() -> None:
    assert load_config(cloudflare()).key_source == JwksSource(
        "https://example-team.cloudflareaccess.com/cdn-cgi/access/certs"
    )
    with_port = load_config(cloudflare(TRUSTED_PROXY_ISSUER="https://access.example.com:8443"))
    assert with_port.jwks_url == "https://access.example.com:8443/cdn-cgi/access/certs"
    # An explicit key URL is used as it is, and then the issuer may be anything.
    explicit = load_config(
        cloudflare(TRUSTED_PROXY_ISSUER="https://t.example.com/", TRUSTED_PROXY_JWKS_URL="https://k.example/c")
    )
    assert explicit.key_source == JwksSource("https://k.example/c")


def test_kid_template_from_the_arn_region_or_an_explicit_template() -> None:
    template = "https://public-keys.auth.elb.eu-west-1.amazonaws.com/{kid}"
    config = load_config(alb())
    assert config.key_source == KidTemplateSource(template)
    assert config.jwks_url == template
    gov = ARN.replace("arn:aws:", "arn:aws-us-gov:").replace("eu-west-1", "us-gov-west-1")
    assert problems(alb(TRUSTED_PROXY_AWS_ALB_ARN=gov)) == [(JWKS_URL, "is required for this partition")]
    gov_url = "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1/{kid}"
    assert load_config(alb(TRUSTED_PROXY_AWS_ALB_ARN=gov, TRUSTED_PROXY_JWKS_URL=gov_url)).key_source == (
        KidTemplateSource(gov_url)
    )
    braces = (JWKS_URL, "must contain {kid} exactly once and no other { or }")
    for url in ("https://k.example/keys", "https://k.example/{kid}/{kid}", "https://{region}.k.example/{kid}"):
        assert problems(alb(TRUSTED_PROXY_JWKS_URL=url)) == [braces], url
    assert problems(alb(TRUSTED_PROXY_JWKS_URL="http://k.example/{kid}")) == [
        (JWKS_URL, "must use https (plain http only for loopback hosts)")
    ]
    loopback = "http://127.0.0.1:9000/keys/{kid}"
    assert load_config(alb(TRUSTED_PROXY_JWKS_URL=loopback)).jwks_url == loopback


def test_discovery_url_is_the_issuer_without_one_trailing_slash_plus_the_well_known_path() -> None:
    config = load_config(oauth2_proxy())
    assert config.key_source == DiscoverySource(
        "https://idp.example.com/realms/corp/",
        "https://idp.example.com/realms/corp/.well-known/openid-configuration",
    )
    assert config.jwks_url is None
    explicit = load_config(oauth2_proxy(TRUSTED_PROXY_JWKS_URL="https://idp.example.com/certs"))
    assert explicit.key_source == JwksSource("https://idp.example.com/certs")
    for issuer in ("http://idp.example.com", "idp.example.com", "https://a.example,https://b.example"):
        assert problems(oauth2_proxy(TRUSTED_PROXY_ISSUER=issuer)) == [
            (JWKS_URL, "is required: it cannot be discovered from TRUSTED_PROXY_ISSUER")
        ], issuer
    loopback = load_config(oauth2_proxy(TRUSTED_PROXY_ISSUER="http://localhost:8080/"))
    assert isinstance(loopback.key_source, DiscoverySource)
    assert loopback.key_source.discovery_url == "http://localhost:8080/.well-known/openid-configuration"


def test_required_key_url_is_the_common_is_required() -> None:
    env = {"TRUSTED_PROXY_PRESET": "pomerium", "TRUSTED_PROXY_ISSUER": "a.example.com", "TRUSTED_PROXY_AUDIENCE": "a"}
    assert problems(env) == [(JWKS_URL, "is required")]


def test_forbidden_key_url_means_a_shared_secret_and_hs256_only() -> None:
    config = load_config(authentik())
    assert config.key_source == SharedSecretSource()
    assert config.jwks_url is None
    assert config.algorithms == ("HS256",)
    assert problems(authentik(TRUSTED_PROXY_JWKS_URL="https://auth.example.com/jwks")) == [
        (JWKS_URL, "must not be set with preset authentik")
    ]


# -- the shared secret stays secret ---------------------------------------------------------------------


def test_the_shared_secret_is_trimmed_and_never_in_the_configuration_repr() -> None:
    config = load_config(authentik(TRUSTED_PROXY_SHARED_SECRET=f"  {SECRET}  "))
    assert config.shared_secret == SECRET
    assert SECRET not in repr(config)
    assert SECRET not in repr(config.key_source)
    assert load_config(alb()).shared_secret is None


def test_the_shared_secret_is_never_part_of_a_problem() -> None:
    short = "short-test-secret"
    found = problems(authentik(TRUSTED_PROXY_SHARED_SECRET=short))
    assert found == [("TRUSTED_PROXY_SHARED_SECRET", "must be at least 32 bytes")]
    assert short not in repr(found)
    assert SECRET not in repr(problems({"TRUSTED_PROXY_SHARED_SECRET": SECRET}))


def test_the_shared_secret_length_counts_utf8_bytes() -> None:
    assert load_config(authentik(TRUSTED_PROXY_SHARED_SECRET="é" * 16)).shared_secret == "é" * 16
    assert len(problems(authentik(TRUSTED_PROXY_SHARED_SECRET="x" * 31))) == 1
