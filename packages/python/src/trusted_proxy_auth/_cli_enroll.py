"""`trusted-proxy-auth enroll`: check a proposed configuration against a challenge assertion captured through the
proxy and write the enrollment record (contract/enrollment.json). The TypeScript CLI has the same flags, exit
codes and JSON output.

Exit codes: 0 the record was written; 1 a check failed (or the administrator declined); 2 usage or the
proposed configuration is invalid; 3 the key set is unreachable. The assertion is never printed."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from ._contract import setting_name
from ._detail_text import printable
from ._text import js_trim
from .enrollment import (
    EnrollmentProposal,
    EnrollmentReport,
    SettingValue,
    check_enrollment,
    enrollment_record,
    propose_settings,
    write_enrollment_record,
)
from .errors import ConfigProblem, TrustedProxyAuthError

EXIT_WRITTEN = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_KEYS_UNAVAILABLE = 3

ENROLL_HELP = """\
Output: one JSON object on stdout when it is not a terminal (or with --json):
  {"ok":true,"written":true,"out":PATH,"settings":{...},"report":{"checks":[...],...}}   exit 0
  {"ok":false,"written":false,...}          exit 1 a check failed (or the prompt was declined)
  {"ok":false,"error":{"code":"invalid_config",...}} or configuration_valid failed   exit 2
  keys_reachable failed                                                                exit 3
The record is written only when every check passes, after --yes or a "y" at the prompt. The assertion is
never printed.
"""


def add_enroll_parser(commands: Any, parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    enroll: argparse.ArgumentParser = commands.add_parser(
        "enroll",
        help="check a proxy's configuration against a challenge assertion and write the enrollment record",
        description="check a proxy's configuration against a challenge assertion and write the enrollment record",
        epilog=ENROLL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    enroll.add_argument("--preset", metavar="NAME", help="proxy preset")
    enroll.add_argument("--issuer", metavar="LIST", help="the issuer to trust (default: the assertion's iss)")
    enroll.add_argument("--audience", metavar="LIST", help="the audience to accept (default: the assertion's aud)")
    enroll.add_argument("--jwks-url", metavar="URL", help="key set URL")
    enroll.add_argument(
        "--discovery", action="store_true", help="find the key set URL by OpenID discovery from the issuer"
    )
    enroll.add_argument("--assertion-header", metavar="NAME", help="the request header carrying the assertion")
    enroll.add_argument("--assertion", metavar="SOURCE", help="- reads the challenge assertion from standard input")
    enroll.add_argument("--assertion-env", metavar="NAME", help="read the challenge assertion from this variable")
    enroll.add_argument(
        "--out", metavar="PATH", help=f"where the record goes (default: {setting_name('enrollmentFile')})"
    )
    enroll.add_argument("--yes", action="store_true", help="write without asking (scripts)")
    enroll.add_argument("--json", action="store_true", help="print JSON even on a terminal")
    enroll.add_argument("--now", metavar="SECONDS", help="current time as Unix seconds (default: the system clock)")
    return enroll


def _usage(message: str) -> TrustedProxyAuthError:
    return TrustedProxyAuthError("invalid_config", problems=[ConfigProblem("arguments", message)])


def _assertion(args: argparse.Namespace, env: Mapping[str, str], stdin: TextIO) -> str:
    if (args.assertion is None) == (args.assertion_env is None):
        raise _usage("give the challenge assertion with --assertion - or --assertion-env NAME")
    if args.assertion is not None:
        if args.assertion != "-":
            raise _usage("--assertion takes - (read the assertion from standard input)")
        return js_trim(stdin.read())
    value = env.get(args.assertion_env)
    if value is None or js_trim(value) == "":
        raise _usage("--assertion-env names an environment variable that is not set or empty")
    return js_trim(value)


def _proposal(args: argparse.Namespace, assertion: str) -> EnrollmentProposal:
    """The flags are settings already decided; the assertion (and discovery) fill the rest."""
    decided = {
        setting_name(option): value
        for option, value in (("issuer", args.issuer), ("audience", args.audience), ("jwksUrl", args.jwks_url))
        if value is not None
    }
    return propose_settings(
        assertion,
        preset=args.preset,
        discovery=args.discovery,
        env=decided,
        assertion_header=args.assertion_header,
    )


def exit_code_of(report: EnrollmentReport) -> int:
    """2 when the configuration is refused, 3 when the key set is unreachable, 1 for any other failed check."""
    failed = {check.id for check in report.checks if check.result == "fail"}
    if "configuration_valid" in failed:
        return EXIT_USAGE
    if "keys_reachable" in failed:
        return EXIT_KEYS_UNAVAILABLE
    return EXIT_CHECK_FAILED if failed or not report.ok else EXIT_WRITTEN


def _setting_text(value: SettingValue) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def summary(report: EnrollmentReport, settings: Mapping[str, SettingValue], out_path: str) -> str:
    """What a person at a terminal is about to trust, and every check."""
    lines = ["About to trust:"]
    lines.extend(f"  {name} = {printable(_setting_text(value))}" for name, value in settings.items())
    lines.append(f"  key set: {printable(report.key_set_url or '-')}")
    for key in report.keys:
        lines.append(f"    {key.kty} kid {printable(key.kid or '-')} alg {key.alg or '-'} thumbprint {key.thumbprint}")
    lines.append(f"  enrolled by: {printable(report.subject or '-')} ({printable(report.issuer or '-')})")
    lines.append(f"  record: {printable(out_path)}")
    lines.append("Checks:")
    marks = {"pass": "pass", "fail": "FAIL", "not_run": "skip"}
    for check in report.checks:
        detail = f": {printable(check.detail)}" if check.detail else ""
        lines.append(f"  [{marks[check.result]}] {check.title}{detail}")
    return "\n".join(lines) + "\n"


def run_enroll(
    args: argparse.Namespace,
    env: Mapping[str, str],
    stdin: TextIO,
    out: TextIO,
    *,
    as_json: bool,
    confirm: Callable[[str], bool] | None,
    write_json: Callable[[Any], str],
) -> int:
    """Runs `enroll`. `confirm` asks the person at the terminal (None: no one to ask, so --yes is needed)."""
    out_path = args.out if args.out is not None else env.get(setting_name("enrollmentFile"))
    if not out_path:
        raise _usage(f"give --out PATH or set {setting_name('enrollmentFile')}")
    if not args.yes and confirm is None:
        raise _usage("give --yes to write the record without a prompt")
    now = None
    if args.now is not None:
        try:
            now = float(args.now)
        except ValueError:
            raise _usage("--now must be a number of seconds since the epoch") from None
    assertion = _assertion(args, env, stdin)
    try:
        proposal = _proposal(args, assertion)
    except TrustedProxyAuthError as error:
        if error.code == "malformed_assertion":
            raise _usage("the challenge assertion is not a compact JWS") from None
        raise
    report = check_enrollment(proposal, assertion, env=env, now=now)
    code = exit_code_of(report)
    written = False
    if code == EXIT_WRITTEN:
        if not as_json:
            out.write(summary(report, proposal.settings, out_path))
        if args.yes or (confirm is not None and confirm(f"Write the enrollment record to {out_path}? [y/N] ")):
            try:
                write_enrollment_record(out_path, enrollment_record(report, proposal, "cli"))
            except OSError:
                raise _usage("the record cannot be written to --out (is its directory writable?)") from None
            written = True
        else:
            code = EXIT_CHECK_FAILED
    elif not as_json:
        out.write(summary(report, proposal.settings, out_path))
    if as_json:
        body = {
            "ok": written,
            "written": written,
            "out": out_path,
            "settings": dict(proposal.settings),
            "report": report.to_dict(),
        }
        out.write(write_json(body))
    else:
        out.write(f"written: {printable(out_path)}\n" if written else "not written\n")
    return code
