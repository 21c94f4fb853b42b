"""Quirk albSignerHeader: every ALB of a region signs with the same regional keys, so only the JOSE header
`signer` tells whether this load balancer (and not another customer's) minted the assertion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from trusted_proxy_auth._contract import setting_name
from trusted_proxy_auth._detail_text import quoted
from trusted_proxy_auth.errors import TrustedProxyAuthError

#: Groups: 1 partition, 3 region, 5 account, 6 name, 7 id.
ALB_ARN_PATTERN = re.compile(
    r"arn:(aws|aws-[a-z]+(-[a-z]+)*):elasticloadbalancing:([a-z]{2}(-[a-z]+)+-[0-9]+):([0-9]{12}):"
    r"loadbalancer/app/([A-Za-z0-9-]{1,32})/([0-9a-f]{1,32})",
    re.ASCII,
)


@dataclass(frozen=True)
class AlbArn:
    partition: str
    region: str


def parse_alb_arn(text: str) -> AlbArn | None:
    """The partition and region of a valid ALB ARN, or None when `text` is not one."""
    match = ALB_ARN_PATTERN.fullmatch(text)
    return None if match is None else AlbArn(partition=match.group(1), region=match.group(3))


def check_signer(header: dict[str, Any], arn: str) -> None:
    """Stage claim_values, before the issuer: `signer` must equal the configured ARN exactly."""
    if header.get("signer") != arn:
        raise TrustedProxyAuthError(
            "issuer_mismatch",
            detail=f'header member "signer" {quoted(header.get("signer"))} '
            f"is not {setting_name('awsAlbArn')} {quoted(arn)}",
        )
