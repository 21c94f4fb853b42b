"""The `trusted-proxy-auth` command line: the same arguments, output and exit codes as the TypeScript CLI."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, TextIO

from ._contract import variable_for_option
from ._json_numbers import dumps_compact
from ._text import js_trim
from .config import load_config
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


def _epilog() -> str:
    example = " ".join(
        f"{_env(option)}={variable_for_option(option)['example']}"
        for option in ("jwksUrl", "issuer", "audience", "assertionHeader")
    )
    return f'{_OUTPUT_HELP}\nExample:\n  {example} \\\n  trusted-proxy-auth verify "$TOKEN"\n'


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
    program.output = verify.output = stdout
    return program, verify


def _parse_header(text: str) -> tuple[str, str]:
    colon = text.find(":")
    if colon <= 0:
        raise _usage_error('--header must look like "Name: value"')
    return text[:colon].strip(), text[colon + 1 :].lstrip(" \t")


def _json(value: Any) -> str:
    try:
        text = dumps_compact(value)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = dumps_compact(value, ensure_ascii=True)
    return text + "\n"


def _verify(args: argparse.Namespace, env: Mapping[str, str], stdin: TextIO) -> dict[str, Any]:
    now: float | None = None
    if args.now is not None:
        if not _NOW.fullmatch(args.now):
            raise _usage_error("--now must be a number of seconds since the epoch")
        now = float(args.now) if "." in args.now else int(args.now)
    overrides: dict[str, Any] = {}
    for option in ("issuer", "audience", "jwks_url", "algorithms", "config_file"):
        if getattr(args, option) is not None:
            overrides[option] = getattr(args, option)
    if args.require_claim is not None:
        overrides["required_claims"] = args.require_claim

    headers = [_parse_header(text) for text in args.header or []]
    as_request = bool(headers) or args.remote_address is not None
    if as_request and args.token is not None:
        raise _usage_error("give either a TOKEN or --header/--remote-address, not both")
    if not as_request and args.token is None:
        raise _usage_error("a TOKEN (or - for standard input) is required")

    config = load_config(env, **overrides)
    token = js_trim(stdin.read()) if args.token == _READ_STDIN else args.token
    auth = TrustedProxyAuth(config)
    try:
        if as_request:
            identity = auth.verify_request(headers, args.remote_address, now=now)
        else:
            identity = auth.verify_assertion(token or "", now=now)
    finally:
        auth.close()
    return {"ok": True, "identity": None if identity is None else identity.to_dict()}


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
        out.write(_json(_verify(args, os.environ if env is None else env, stdin or sys.stdin)))
        return EXIT_OK
    except _HelpShown:
        return EXIT_OK
    except _UsageError as usage:
        out.write(_json({"ok": False, "error": _usage_error(str(usage)).to_dict()}))
        return EXIT_USAGE
    except TrustedProxyAuthError as error:
        out.write(_json({"ok": False, "error": error.to_dict()}))
        return EXIT_USAGE if error.code == "invalid_config" else EXIT_REJECTED
    except Exception:  # noqa: BLE001 - never print internals (they could hold the token)
        err.write("unexpected failure\n")
        return EXIT_REJECTED


def main() -> int:
    return run(sys.argv[1:])
