"""The `trusted-proxy-auth` command line: the same arguments, output and exit codes as the TypeScript CLI."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NoReturn, TextIO

from ._batch_cases import BatchLineError, parse_batch_line
from ._cli_enroll import add_enroll_parser, run_enroll
from ._contract import variable_for_option
from ._detail_text import printable
from ._doctor import format_doctor_report, run_doctor
from ._json_numbers import dumps_compact
from ._presets import Discovery
from ._text import js_trim
from .config import TrustedProxyAuthConfig, load_config, load_config_discovering
from .errors import ConfigProblem, TrustedProxyAuthError, error_entry
from .identity import Identity
from .verifier import TrustedProxyAuth

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_KEYS_UNAVAILABLE = 3

#: Stands in for the header name when a bare token is verified: the header is never read then.
_BARE_TOKEN_HEADER = "X-Identity-Assertion"  # noqa: S105 - a header name, not a secret

_READ_STDIN = "-"
_NOW = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)
_OUTPUT_HELP = """\
Output: one JSON object on stdout when it is not a terminal (or with --json); a summary on a terminal.
  {"ok":true,"identity":{...}}                                     exit 0
  {"ok":false,"error":{"code",...}}                                exit 1 (rejected)
  {"ok":false,"error":{"code":"invalid_config","problems":[...]}}  exit 2 (configuration or usage)
  {"ok":false,"error":{"code":"jwks_unavailable","detail":...}}    exit 3 (keys unavailable; detail gives the cause)
The token is never printed.
"""
_DOCTOR_HELP = """\
Findings have a stable id and a severity (critical, warning, info); see contract/doctor.json.
Exit 0: no critical finding; 1: at least one critical finding; 2: usage error.
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
UNKNOWN_COMMAND = "unknown command (see trusted-proxy-auth --help)"
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
    verify.add_argument("--preset", metavar="NAME", help=f"proxy preset ({_env('preset')})")
    verify.add_argument(
        "--discover",
        action="store_true",
        help="find the key set by OpenID discovery from the issuer (for a bare token also the default when "
        "neither a key URL nor a preset is set and the issuer is https)",
    )
    verify.add_argument(
        "--token-env",
        metavar="NAME",
        help="read the token from this environment variable (tokens in arguments show up in ps)",
    )
    verify.add_argument(
        "--json",
        action="store_true",
        help="print JSON even on a terminal (JSON is the default when the output is not a terminal)",
    )
    doctor = commands.add_parser(
        "doctor",
        help="audit the effective configuration (environment, config file, preset) and its key endpoint",
        description="audit the effective configuration (environment, config file, preset) and its key endpoint",
        epilog=_DOCTOR_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument(
        "--assertion",
        metavar="SOURCE",
        help="verify a captured assertion read from standard input (-) and show its claims, never the assertion",
    )
    doctor.add_argument("--preset", metavar="NAME", help=f"proxy preset ({_env('preset')})")
    doctor.add_argument("--config-file", metavar="PATH", help=f"JSON settings file ({_env('configFile')})")
    doctor.add_argument("--discover", action="store_true", help="find the key set by OpenID discovery from the issuer")
    doctor.add_argument("--no-live", action="store_true", help="skip the checks that contact the key endpoint")
    doctor.add_argument("--now", metavar="SECONDS", help="current time as Unix seconds for --assertion")
    enroll = add_enroll_parser(commands, _Parser)
    program.add_argument("-V", "--version", action="store_true", help="print the version and exit")
    program.output = verify.output = doctor.output = stdout
    assert isinstance(enroll, _Parser)
    enroll.output = stdout
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
    for option in ("issuer", "audience", "jwks_url", "algorithms", "config_file", "preset"):
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


class _Rejection(Exception):
    """A rejection with the cause of a key failure: the error's own `detail`, else the key store's last failure."""

    def __init__(self, error: TrustedProxyAuthError, detail: str | None) -> None:
        super().__init__(error.code)
        self.error = error
        self.detail = detail


def _verify_target(config: TrustedProxyAuthConfig, target: _Target, now: int | float | None) -> Identity | None:
    """The one verification path of both modes: a fresh verifier for the configuration (no key cache shared
    between verifications), the target checked. Rejections raise _Rejection."""
    auth = TrustedProxyAuth(config)
    try:
        if target.is_request:
            return auth.verify_request(list(target.headers), target.remote_address, now=now)
        return auth.verify_assertion(target.token or "", now=now)
    except TrustedProxyAuthError as error:
        # The key store's last failure names the cause (HTTP status, timeout, issuer) when the error carries none.
        fallback = auth.status().last_error if error.code == "jwks_unavailable" else None
        raise _Rejection(error, _error_detail(error, fallback)) from None
    finally:
        auth.close()


def _success(identity: Identity | None) -> dict[str, Any]:
    return {"ok": True, "identity": None if identity is None else identity.to_dict()}


def _token_from_env(args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    """`--token-env NAME`: the token from the environment (a token in argv shows up in `ps` and `set -x` logs)."""
    if args.token_env is None:
        return args.token  # type: ignore[no-any-return]
    if args.token is not None:
        raise _usage_error("give either a TOKEN or --token-env, not both")
    from_env = env.get(args.token_env)
    if from_env is None or js_trim(from_env) == "":
        raise _usage_error("--token-env names an environment variable that is not set or empty")
    return js_trim(from_env)


def _verify(args: argparse.Namespace, env: Mapping[str, str], stdin: TextIO, out: TextIO, terminal: bool) -> int:
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
    read_stdin = args.token == _READ_STDIN and args.token_env is None
    request = _Target(is_request=True, headers=headers, remote_address=args.remote_address) if as_request else None
    target = _target_of(_token_from_env(args, env), request, _FLAG_ERRORS)
    as_json = args.json or not terminal
    # A bare token is the CI use: keys by discovery when nothing names them. A request (--header) is verified
    # exactly as an application would, so it needs a key source unless --discover asks for discovery.
    discovery: Discovery = "force" if args.discover else ("off" if target.is_request else "auto")
    try:
        config = _load_cli_config(env, overrides, discovery, not target.is_request)
        if read_stdin:
            target = _Target(is_request=False, token=js_trim(stdin.read()))
        identity = _verify_target(config, target, now)
    except (_Rejection, TrustedProxyAuthError) as failure:
        rejection = failure if isinstance(failure, _Rejection) else _Rejection(failure, _error_detail(failure))
        error, detail = rejection.error, rejection.detail
        out.write(
            _json({"ok": False, "error": _error_body(error, detail)}) if as_json else _error_summary(error, detail)
        )
        return _exit_code_for(error)
    out.write(_json(_success(identity)) if as_json else _identity_summary(identity))
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
            result = _success(_verify_target(config, target, default_now if case.now is None else case.now))
        except BatchLineError as problem:
            error = _usage_error(str(problem))
            result = {"ok": False, "error": error.to_dict()}
            exit_code = max(exit_code, _exit_code_for(error))
        except _Rejection as rejection:
            result = {"ok": False, "error": _error_body(rejection.error, rejection.detail)}
            exit_code = max(exit_code, _exit_code_for(rejection.error))
        except TrustedProxyAuthError as error:
            result = {"ok": False, "error": _error_body(error, _error_detail(error))}
            exit_code = max(exit_code, _exit_code_for(error))
        out.write(_json(result))
        out.flush()
    return exit_code


def _error_body(error: TrustedProxyAuthError, detail: str | None) -> dict[str, object]:
    """`{"code","status","message"[,"detail"][,"problems"]}`: never the token, a claim value or key material."""
    body: dict[str, object] = {"code": error.code, "status": error.status, "message": error.message}
    if detail:
        body["detail"] = detail
    if error.problems is not None:
        body["problems"] = [problem.to_dict() for problem in error.problems]
    return body


def _error_detail(error: TrustedProxyAuthError, fallback: str | None = None) -> str | None:
    """The non-secret cause an error carries (`detail`, filled for key failures), or the fallback."""
    detail = getattr(error, "detail", None)
    return detail if isinstance(detail, str) and detail != "" else fallback


def _exit_code_for(error: TrustedProxyAuthError) -> int:
    if error.code == "invalid_config":
        return EXIT_USAGE
    if error.code == "jwks_unavailable":
        return EXIT_KEYS_UNAVAILABLE
    return EXIT_REJECTED


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(math.floor(seconds), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity_summary(identity: Identity | None) -> str:
    """What a person at a terminal sees for a verified identity (the TypeScript CLI prints the same)."""
    if identity is None:
        return "verified: no assertion (mode optional): anonymous\n"
    verified = " (verified)" if identity.email_verified is True else ""
    # Claims are signed, not trusted to be harmless: a display name may carry terminal escape sequences.
    lines = [
        "verified",
        f"  subject:   {printable(identity.subject)}",
        f"  issuer:    {printable(identity.issuer)}",
        f"  audience:  {printable(', '.join(identity.audience))}",
        f"  email:     {printable(identity.email) if identity.email is not None else '-'}{verified}",
        f"  name:      {printable(identity.name) if identity.name is not None else '-'}",
        f"  groups:    {printable(', '.join(identity.groups)) if identity.groups else '-'}",
        f"  issued:    {_when(identity.issued_at)}",
        f"  expires:   {_when(identity.expires_at)}",
    ]
    return "\n".join(lines) + "\n"


def _error_summary(error: TrustedProxyAuthError, detail: str | None) -> str:
    """The terminal form of a rejection: code, fixed message, the cause and every configuration problem."""
    labels = {"invalid_config": "configuration error", "jwks_unavailable": "keys unavailable"}
    label = labels.get(error.code, "rejected")
    entry = error_entry(error.code)
    lines = [f"{label}: {error.code} ({entry['status']}): {entry['message']}"]
    if detail:
        lines.append(f"  cause: {detail}")
    lines.extend(f"  {problem.variable}: {problem.message}" for problem in error.problems or ())
    return "\n".join(lines) + "\n"


def _load_cli_config(
    env: Mapping[str, str], overrides: dict[str, Any], discovery: Discovery, bare_token: bool
) -> TrustedProxyAuthConfig:
    """load_config for the command line. `bare_token`: the token is given directly, so a missing
    assertion header setting is not a problem (every other problem still is)."""
    try:
        return load_config_discovering(env, discovery, **overrides)
    except TrustedProxyAuthError as error:
        if not bare_token or error.code != "invalid_config":
            raise
        problems = [
            problem
            for problem in error.problems or ()
            if not (problem.variable == _env("assertionHeader") and problem.message == "is required")
        ]
        if len(problems) == len(error.problems or ()):
            raise
        if problems:
            raise TrustedProxyAuthError("invalid_config", problems=problems) from None
        return load_config_discovering(env, discovery, **{**overrides, "assertion_header": _BARE_TOKEN_HEADER})


def _doctor(args: argparse.Namespace, env: Mapping[str, str], stdin: TextIO, as_json: bool) -> tuple[str, int]:
    if args.assertion is not None and args.assertion != _READ_STDIN:
        raise _usage_error("--assertion takes - (read the assertion from standard input)")
    now = _now_of(args)
    overrides: dict[str, Any] = {}
    for option in ("preset", "config_file"):
        if getattr(args, option) is not None:
            overrides[option] = getattr(args, option)
    config: TrustedProxyAuthConfig | TrustedProxyAuthError
    try:
        config = load_config_discovering(env, "force" if args.discover else "off", **overrides)
    except TrustedProxyAuthError as error:
        config = error
    assertion = js_trim(stdin.read()) if args.assertion == _READ_STDIN else None
    report = run_doctor(config, live=not args.no_live, assertion=assertion, now=now)
    text = _json(report.to_dict()) if as_json else format_doctor_report(report)
    return text, EXIT_OK if report.ok else EXIT_REJECTED


def _terminal_prompt(out: TextIO, stdin: TextIO) -> Callable[[str], bool] | None:
    """Asks a yes/no question at the terminal; None when standard input is not one (then --yes is needed)."""
    if not getattr(stdin, "isatty", lambda: False)():
        return None

    def confirm(question: str) -> bool:
        out.write(question)
        out.flush()
        return js_trim(stdin.readline()).lower() in ("y", "yes")

    return confirm


def _version() -> str:
    from . import __version__

    return __version__


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    is_terminal: bool | None = None,
) -> int:
    """Runs the command line and returns the exit code (0 verified, 1 rejected or a critical doctor finding,
    2 configuration or usage, 3 keys unavailable). Never prints the token. `is_terminal` (default: whether
    stdout is a TTY) selects the human summary over JSON."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    terminal = is_terminal if is_terminal is not None else bool(getattr(out, "isatty", lambda: False)())
    program, _ = _build_parser(out)
    if not argv:
        out.write(program.format_help())
        return EXIT_USAGE
    try:
        args = program.parse_args(list(argv))
        if args.command is None and args.version:
            out.write(f"trusted-proxy-auth {_version()}\n")
            return EXIT_OK
        environment = os.environ if env is None else env
        if args.command == "verify":
            return _verify(args, environment, stdin or sys.stdin, out, terminal)
        if args.command == "enroll":
            return run_enroll(
                args,
                environment,
                stdin or sys.stdin,
                out,
                err,
                is_terminal=terminal,
                confirm=_terminal_prompt(out, stdin or sys.stdin) if args.assertion != _READ_STDIN else None,
                write_json=_json,
            )
        if args.command == "doctor":
            text, code = _doctor(args, environment, stdin or sys.stdin, args.json or not terminal)
            out.write(text)
            return code
        raise _UsageError(UNKNOWN_COMMAND)
    except _HelpShown:
        return EXIT_OK
    except _UsageError as usage:
        out.write(_json({"ok": False, "error": _usage_error(str(usage)).to_dict()}))
        return EXIT_USAGE
    except TrustedProxyAuthError as error:
        out.write(_json({"ok": False, "error": _error_body(error, _error_detail(error))}))
        return _exit_code_for(error)
    except Exception:  # noqa: BLE001 - never print internals (they could hold the token)
        err.write("unexpected failure\n")
        return EXIT_REJECTED


def main() -> int:
    return run(sys.argv[1:])
