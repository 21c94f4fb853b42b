"""An Application Load Balancer ARN (setting awsAlbArn, quirk albSignerHeader of contract/presets.json):
validated with the preset's settings, and its region names the key URL."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
