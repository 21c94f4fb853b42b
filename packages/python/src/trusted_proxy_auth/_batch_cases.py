"""The input of `trusted-proxy-auth verify --batch`: JSON Lines on standard input, one verification per line.

A line is a JSON object with these members (all optional, no others):

- `token`: the assertion (string), verified as `verify TOKEN` would;
- `headers`: `[["Name", "value"], ...]`, which makes the line a whole request (`verify --header ...`);
- `remoteAddress`: the socket peer address (string or null), also a request (`--remote-address`);
- `now`: the current time in Unix seconds (number), like `--now`;
- `env`: `TRUSTED_PROXY_*` settings (strings) laid over the process environment for this line only.

Blank lines are skipped. The TypeScript CLI reads the same format (packages/core `src/cli/batch-cases.ts`)
and words its messages the same way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, NoReturn

_MEMBERS = ("token", "headers", "remoteAddress", "now", "env")
_UNSET: Any = object()


class BatchLineError(ValueError):
    """A line that is not a batch case; the message names the line and the member, never a value."""


@dataclass(frozen=True)
class BatchCase:
    """One line of a batch, checked for shape; `is_request` when it has `headers` or `remoteAddress`."""

    token: str | None = None
    headers: tuple[tuple[str, str], ...] | None = None
    remote_address: str | None = None
    is_request: bool = False
    now: int | float | None = None
    env: dict[str, str] | None = None


def _no_constants(name: str) -> NoReturn:
    # JSON has no NaN or Infinity; JavaScript's JSON.parse refuses them, so this parser does too.
    raise ValueError(name)


def _is_header_pair(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value)


def _is_epoch_seconds(value: object) -> bool:
    """A finite, non-negative JSON number (an integer too large for a double is Infinity to JavaScript)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value)) and value >= 0
    except OverflowError:
        return False


def parse_batch_line(text: str, line_number: int) -> BatchCase:
    """Parses one non-blank line (1-based `line_number` for messages). Raises BatchLineError."""
    where = f"line {line_number} of standard input"
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except ValueError:
        raise BatchLineError(f"{where} is not JSON") from None
    if not isinstance(value, dict):
        raise BatchLineError(f"{where} must be a JSON object")
    for name in value:
        if name not in _MEMBERS:
            raise BatchLineError(f'{where} has an unknown member "{name[:40]}" (allowed: {", ".join(_MEMBERS)})')
    token = value.get("token", _UNSET)
    if token is not _UNSET and not isinstance(token, str):
        raise BatchLineError(f'{where}: "token" must be a string')
    headers = value.get("headers", _UNSET)
    if headers is not _UNSET and not (isinstance(headers, list) and all(_is_header_pair(pair) for pair in headers)):
        raise BatchLineError(f'{where}: "headers" must be a list of ["Name", "value"] pairs')
    remote = value.get("remoteAddress", _UNSET)
    if remote is not _UNSET and remote is not None and not isinstance(remote, str):
        raise BatchLineError(f'{where}: "remoteAddress" must be a string or null')
    now = value.get("now", _UNSET)
    if now is not _UNSET and not _is_epoch_seconds(now):
        raise BatchLineError(f'{where}: "now" must be a number of seconds since the epoch')
    env = value.get("env", _UNSET)
    if env is not _UNSET and not (isinstance(env, dict) and all(isinstance(item, str) for item in env.values())):
        raise BatchLineError(f'{where}: "env" must map setting names to strings')
    return BatchCase(
        token=None if token is _UNSET else token,
        headers=None if headers is _UNSET else tuple((name, item) for name, item in headers),
        remote_address=None if remote is _UNSET else remote,
        is_request=headers is not _UNSET or remote is not _UNSET,
        now=None if now is _UNSET else now,
        env=None if env is _UNSET else dict(env),
    )
