"""The `trusted-proxy-auth` command line: the same arguments, output and exit codes as the TypeScript CLI."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

from ._batch_cases import BatchLineError, parse_batch_line
from ._contract import variable_for_option
from ._text import js_trim
from .config import TrustedProxyAuthConfig, load_config
from .errors import ConfigProblem, TrustedProxyAuthError
from .verifier import TrustedProxyAuth

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2

_READ_STDIN = "-"
_NOW = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)
_OUTPUT_HELP = """\
Output: one JSON object on stdout.
  {"ok":true,"identity":{...}}            exit 0
  {"ok":false,"error":{"code",...}}       exit 1 (rejected)
  {"ok":false,"error":{"code":"invalid_config","problems":[...]}}  exit 2
"""


def _env(option: str) -> str:
    """The environment variable of a contract option, for help texts."""
    return variable_for_option(option)["name"]


def _batch_help() -> str:
    return f"""
Batch (--batch): one JSON object per line of standard input, members all optional:
  {{"token":"...", "now":1700000000, "env":{{"{_env("issuer")}":"..."}}}}
  {{"headers":[["X-Assertion","..."]], "remoteAddress":"10.0.0.5", "env":{{...}}}}
"env" is laid over the environment for that line; flags apply to every line. Each line gets one output
line, in order, with the JSON above; the exit code is the highest of the lines (0 when all verified).
"""


def _epilog() -> str:
    example = " ".join(
        f"{_env(option)}={variable_for_option(option)['example']}"
        for option in ("jwksUrl", "issuer", "audience", "assertionHeader")
    )
    return f'{_OUTPUT_HELP}{_batch_help()}\nExample:\n  {example} \\\n  trusted-proxy-auth verify "$TOKEN"\n'


# The fixed texts of argument errors, word for word the TypeScript CLI's (a test compares both). They never
# quote what was typed: a mistyped command line often holds the token itself (`verify "$T" "$T"`), and
# whatever is echoed ends up in terminals, CI logs and shell history. Only the CLI's own flag names appear.
UNKNOWN_OPTION = "unknown option (see trusted-proxy-auth verify --help)"
TOO_MANY_ARGUMENTS = "too many arguments: give one TOKEN, or - for standard input"
UNKNOWN_COMMAND = "unknown command (the command is verify)"
INVALID_ARGUMENTS = "invalid arguments (see trusted-proxy-auth --help)"
_NEEDS_VALUE = re.compile(r"argument (--[a-z][a-z-]*): expected one argument")


class _UsageError(Exception):
    """An argument error; its message is one of the fixed texts above."""


class _HelpShown(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports problems as exceptions instead of printing and exiting."""

    output: TextIO = sys.stdout

    def print_help(self, file: Any = None) -> None:
        self.output.write(self.format_help())

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            raise _UsageError(UNKNOWN_OPTION if any(extra.startswith("-") for extra in extras) else TOO_MANY_ARGUMENTS)
        return parsed

    def error(self, message: str) -> NoReturn:
        # argparse's own message quotes the arguments; keep only what names the CLI's own flags.
        needs_value = _NEEDS_VALUE.match(message)
        if needs_value:
            raise _UsageError(f"{needs_value.group(1)} needs a value")
        if message.startswith("argument command: invalid choice"):
            raise _UsageError(UNKNOWN_COMMAND)
        raise _UsageError(INVALID_ARGUMENTS)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _HelpShown


def _usage_error(message: str) -> TrustedProxyAuthError:
    return TrustedProxyAuthError("invalid_config", problems=[ConfigProblem("arguments", message)])


def _build_parser(stdout: TextIO) -> tuple[_Parser, _Parser]:
    program = _Parser(
        prog="trusted-proxy-auth",
        description="Verify signed identity assertions forwarded by an identity-aware proxy.\n"
        "Configuration comes from the contract's environment variables; flags override them.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    commands = program.add_subparsers(dest="command", parser_class=_Parser)
    verify = commands.add_parser(
        "verify",
        help="verify one assertion (TOKEN, or - to read it from standard input) or a whole request (--header)",
        description="verify one assertion (TOKEN, or - to read it from standard input) or a whole request (--header)",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    verify.add_argument("token", nargs="?", help="the assertion, or - for standard input")
    verify.add_argument("--now", metavar="SECONDS", help="current time as Unix seconds (default: the system clock)")
    verify.add_argument("--issuer", metavar="LIST", help=f"accepted issuers, comma-separated ({_env('issuer')})")
    verify.add_argument("--audience", metavar="LIST", help=f"accepted audiences, comma-separated ({_env('audience')})")
    verify.add_argument("--jwks-url", metavar="URL", help=f"key set URL ({_env('jwksUrl')})")
    verify.add_argument("--algorithms", metavar="LIST", help=f"accepted algorithms ({_env('algorithms')})")
    verify.add_argument(
        "--require-claim",
        metavar="RULE",
        action="append",
        help=f"claim rule name or name=value, repeatable ({_env('requiredClaims')})",
    )
    verify.add_argument(
        "--header",
        metavar="HEADER",
        action="append",
        help='request header "Name: value", repeatable; verifies a request',
    )
    verify.add_argument("--remote-address", metavar="IP", help="socket peer address of the request")
    verify.add_argument("--config-file", metavar="PATH", help=f"JSON settings file ({_env('configFile')})")
    verify.add_argument(
        "--batch",
        action="store_true",
        help="verify many cases: JSON Lines on standard input, one result line each (see below)",
    )
    program.output = verify.output = stdout
    return program, verify


def _parse_header(text: str) -> tuple[str, str]:
    colon = text.find(":")
    if colon <= 0:
        raise _usage_error('--header must look like "Name: value"')
    return text[:colon].strip(), text[colon + 1 :].lstrip(" \t")


def _json(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text + "\n"


@dataclass(frozen=True)
class _Target:
    """What one verification checks: an assertion (`token`), or a whole request (`headers`, `remote_address`)."""

    is_request: bool
    token: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    remote_address: str | None = None


# The usage errors of a target, (both given, neither given): the command line's, or a batch line's (which
# name the line).
_FLAG_ERRORS = (
    "give either a TOKEN or --header/--remote-address, not both",
    "a TOKEN (or - for standard input) is required",
)


def _batch_errors(line_number: int) -> tuple[str, str]:
    where = f"line {line_number} of standard input"
    return (
        f'{where}: give either "token" or "headers"/"remoteAddress", not both',
        f'{where}: "token" or "headers"/"remoteAddress" is required',
    )


def _target_of(token: str | None, request: _Target | None, errors: tuple[str, str]) -> _Target:
    both, missing = errors
    if request is not None and token is not None:
        raise _usage_error(both)
    if request is not None:
        return request
    if token is None:
        raise _usage_error(missing)
    return _Target(is_request=False, token=token)


def _overrides_of(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for option in ("issuer", "audience", "jwks_url", "algorithms", "config_file"):
        if getattr(args, option) is not None:
            overrides[option] = getattr(args, option)
    if args.require_claim is not None:
        overrides["required_claims"] = args.require_claim
    return overrides


def _now_of(args: argparse.Namespace) -> int | float | None:
    if args.now is None:
        return None
    if not _NOW.fullmatch(args.now):
        raise _usage_error("--now must be a number of seconds since the epoch")
    return float(args.now) if "." in args.now else int(args.now)


def _verify_target(config: TrustedProxyAuthConfig, target: _Target, now: int | float | None) -> dict[str, Any]:
    """The one verification path of both modes: a fresh verifier for the configuration (no key cache shared
    between verifications), the target checked, the success output. Rejections raise TrustedProxyAuthError."""
    auth = TrustedProxyAuth(config)
    try:
        if target.is_request:
            identity = auth.verify_request(list(target.headers), target.remote_address, now=now)
        else:
            identity = auth.verify_assertion(target.token or "", now=now)
    finally:
        auth.close()
    return {"ok": True, "identity": None if identity is None else identity.to_dict()}


def _verify(args: argparse.Namespace, env: Mapping[str, str], stdin: TextIO, out: TextIO) -> int:
    now = _now_of(args)
    overrides = _overrides_of(args)
    headers = tuple(_parse_header(text) for text in args.header or [])
    as_request = bool(headers) or args.remote_address is not None
    if args.batch:
        if as_request or args.token is not None:
            raise _usage_error(
                "--batch reads every case from standard input: give no TOKEN, --header or --remote-address"
            )
        return _verify_batch(env, stdin, out, overrides, now)
    request = _Target(is_request=True, headers=headers, remote_address=args.remote_address) if as_request else None
    target = _target_of(args.token, request, _FLAG_ERRORS)

    config = load_config(env, **overrides)
    if target.token == _READ_STDIN:
        target = _Target(is_request=False, token=js_trim(stdin.read()))
    out.write(_json(_verify_target(config, target, now)))
    return EXIT_OK


def _verify_batch(
    env: Mapping[str, str], stdin: TextIO, out: TextIO, overrides: dict[str, Any], default_now: int | float | None
) -> int:
    """`verify --batch`: every non-blank line of standard input is one case (see _batch_cases), answered by one
    line on stdout with the same JSON as a single `verify`, in input order. Each case gets its own configuration
    (`env` over the process environment, then the flags) and its own verifier. Returns the highest exit code a
    single `verify` would have returned for any case (0 when every case verified)."""
    exit_code = EXIT_OK
    for line_number, line in enumerate(stdin, start=1):
        text = line.rstrip("\r\n")
        if js_trim(text) == "":
            continue
        try:
            case = parse_batch_line(text, line_number)
            request = (
                _Target(is_request=True, headers=case.headers or (), remote_address=case.remote_address)
                if case.is_request
                else None
            )
            target = _target_of(case.token, request, _batch_errors(line_number))
            config = load_config({**env, **(case.env or {})}, **overrides)
            result = _verify_target(config, target, default_now if case.now is None else case.now)
        except BatchLineError as problem:
            error = _usage_error(str(problem))
            result = {"ok": False, "error": error.to_dict()}
            exit_code = max(exit_code, _exit_code_for(error))
        except TrustedProxyAuthError as error:
            result = {"ok": False, "error": error.to_dict()}
            exit_code = max(exit_code, _exit_code_for(error))
        out.write(_json(result))
        out.flush()
    return exit_code


def _exit_code_for(error: TrustedProxyAuthError) -> int:
    """2 for a configuration or usage error, 1 for any other rejection."""
    return EXIT_USAGE if error.code == "invalid_config" else EXIT_REJECTED


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Runs the command line and returns the exit code. Never prints the token."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    program, _ = _build_parser(out)
    if not argv:
        out.write(program.format_help())
        return EXIT_USAGE
    try:
        args = program.parse_args(list(argv))
        if args.command != "verify":
            raise _UsageError(UNKNOWN_COMMAND)
        return _verify(args, os.environ if env is None else env, stdin or sys.stdin, out)
    except _HelpShown:
        return EXIT_OK
    except _UsageError as usage:
        out.write(_json({"ok": False, "error": _usage_error(str(usage)).to_dict()}))
        return EXIT_USAGE
    except TrustedProxyAuthError as error:
        out.write(_json({"ok": False, "error": error.to_dict()}))
        return _exit_code_for(error)
    except Exception:  # noqa: BLE001 - never print internals (they could hold the token)
        err.write("unexpected failure\n")
        return EXIT_REJECTED


def main() -> int:
    return run(sys.argv[1:])
