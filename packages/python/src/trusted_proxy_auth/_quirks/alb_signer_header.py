"""Quirk albSignerHeader: every ALB of a region signs with the same regional keys, so only the JOSE header
`signer` tells whether this load balancer (and not another customer's) minted the assertion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trusted_proxy_auth._contract import setting_name
from trusted_proxy_auth._detail_text import quoted
from trusted_proxy_auth._quirk_stages import QuirkStages
from trusted_proxy_auth.errors import ConfigProblem, TrustedProxyAuthError

if TYPE_CHECKING:
    from trusted_proxy_auth.config import TrustedProxyAuthConfig


def check_signer(header: dict[str, Any], arn: str) -> None:
    """Stage claim_values, before the issuer: `signer` must equal the configured ARN exactly (raises
    TrustedProxyAuthError `issuer_mismatch`)."""
    if header.get("signer") != arn:
        raise TrustedProxyAuthError(
            "issuer_mismatch",
            detail=f'header member "signer" {quoted(header.get("signer"))} '
            f"is not {setting_name('awsAlbArn')} {quoted(arn)}",
        )


def alb_signer_header(_parameters: Mapping[str, Any], config: TrustedProxyAuthConfig) -> QuirkStages:
    """The plug: header `signer` a string (claim_types), present (claim_presence), and equal to
    the configured ARN (setting awsAlbArn) before the issuer is checked (claim_values). Raises TrustedProxyAuthError
    `invalid_config` when the configuration has no ARN."""
    arn = config.aws_alb_arn
    # load_config requires the ARN with the preset; a configuration built without it is refused here, rather than
    # every request later with an issuer_mismatch that would look like the tokens' fault.
    if arn is None:
        raise TrustedProxyAuthError(
            "invalid_config",
            problems=[ConfigProblem(setting_name("awsAlbArn"), "is required by quirk albSignerHeader")],
        )

    def signer_is_ours(header: dict[str, Any], _payload: dict[str, Any]) -> None:
        check_signer(header, arn)

    return QuirkStages(required_header_strings=("signer",), before_issuer=(signer_is_ours,))
