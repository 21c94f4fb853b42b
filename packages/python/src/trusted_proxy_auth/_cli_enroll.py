"""`trusted-proxy-auth enroll`: check a proposed configuration against a challenge assertion captured through the
proxy and write the enrollment record (contract/enrollment.json). Same flags, exit codes, JSON output and
terminal summary as the TypeScript CLI (packages/core/src/cli/enroll.ts, enroll-output.ts).

Exit codes: 0 the record was written; 1 a check failed (or the answer was no); 2 usage or configuration error
(a setting the runtime refuses, no --out, no --yes without a terminal); 3 the key set is unavailable. The
assertion is never printed."""

from __future__ import annotations

import argparse
import errno
import json
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from ._contract import setting_name
from ._detail_text import printable
from ._logging import loggable_url
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
from .enrollment.checks import REFUSES_ADMINISTRATOR
from .errors import ConfigProblem, TrustedProxyAuthError

EXIT_WRITTEN = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_KEYS_UNAVAILABLE = 3

ENROLL_HELP = """
Checks (contract/enrollment.json, in order, each reported): key_url_secure, keys_reachable, keys_usable,
no_embedded_keys, assertion_signature, issuer, audience, fresh, configuration_valid. The record is written
(atomically, mode 0600) only when every check passes, and only with --yes or after answering "y" at a terminal.
Settings: TRUSTED_PROXY_* environment variables, then the flags over them (or a preset's defaults); never read
from the challenge assertion, which only has to match them.
Exit codes: 0 written; 1 a check failed (or the answer was no); 2 usage or configuration error (a setting the
runtime refuses, no --out, no --yes without a terminal); 3 the key set is unavailable.
The assertion is never printed.

Example:
  trusted-proxy-auth enroll --issuer https://auth.example.com --audience my-app \\
    --jwks-url https://auth.example.com/jwks.json --assertion-header X-Assertion \\
    --assertion - --out /var/lib/app/enrollment.json --yes < assertion.txt
"""

_Confirm = Callable[[str], bool]


def add_enroll_parser(commands: Any, parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    description = (
        "check a proxy configuration against a challenge assertion that came through the proxy, then write the "
        "enrollment record"
    )
    enroll: argparse.ArgumentParser = commands.add_parser(
        "enroll",
        help=description,
        description=description,
        epilog=ENROLL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    enroll.add_argument("--preset", metavar="NAME", help=f"proxy preset ({setting_name('preset')})")
    enroll.add_argument("--issuer", metavar="LIST", help=f"issuer to trust ({setting_name('issuer')})")
    enroll.add_argument(
        "--audience",
        metavar="LIST",
        help=f"audience to accept ({setting_name('audience')})",
    )
    enroll.add_argument("--jwks-url", metavar="URL", help=f"key set URL ({setting_name('jwksUrl')})")
    enroll.add_argument(
        "--discovery",
        action="store_true",
        help="find the key set URL by OpenID discovery from the issuer, once, and record it",
    )
    enroll.add_argument(
        "--assertion-header",
        metavar="NAME",
        help=f"request header that carries the assertion ({setting_name('assertionHeader')})",
    )
    enroll.add_argument("--assertion", metavar="SOURCE", help="read the challenge assertion from standard input (-)")
    enroll.add_argument(
        "--assertion-env", metavar="NAME", help="read the challenge assertion from this environment variable"
    )
    enroll.add_argument(
        "--out", metavar="PATH", help=f"where to write the record (default: {setting_name('enrollmentFile')})"
    )
    enroll.add_argument("--yes", action="store_true", help="write without asking (scripts)")
    enroll.add_argument(
        "--json",
        action="store_true",
        help="print JSON even on a terminal (JSON is the default when the output is not a terminal)",
    )
    enroll.add_argument("--now", metavar="SECONDS", help="current time as Unix seconds (default: the system clock)")
    return enroll


def _usage(message: str) -> TrustedProxyAuthError:
    return TrustedProxyAuthError("invalid_config", problems=[ConfigProblem("arguments", message)])


def _challenge_assertion(args: argparse.Namespace, env: Mapping[str, str], stdin: TextIO) -> str:
    """`--assertion -` (standard input) or `--assertion-env NAME`, exactly one; never echoed."""
    if args.assertion is not None and args.assertion_env is not None:
        raise _usage("give either --assertion - or --assertion-env, not both")
    if args.assertion is not None:
        if args.assertion != "-":
            raise _usage("--assertion takes - (read the assertion from standard input)")
        read = js_trim(stdin.read())
        if read == "":
            raise _usage("standard input held no assertion")
        return read
    if args.assertion_env is not None:
        value = env.get(args.assertion_env)
        if value is None or js_trim(value) == "":
            raise _usage("the variable --assertion-env names is not set or empty")
        return js_trim(value)
    raise _usage("a challenge assertion is required: --assertion - or --assertion-env NAME")


def _decided_settings(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, str]:
    """The TRUSTED_PROXY_* settings the flags decide, over those of the environment."""
    decided = {name: value for name, value in env.items() if name.startswith("TRUSTED_PROXY_")}
    flags = (
        ("issuer", args.issuer),
        ("audience", args.audience),
        ("jwksUrl", args.jwks_url),
        ("assertionHeader", args.assertion_header),
    )
    decided.update({setting_name(option): value for option, value in flags if value is not None})
    return decided


def exit_code_of(report: EnrollmentReport) -> int:
    """Of a report that did not pass: keys unavailable, a configuration the runtime refuses, else a failed check."""
    failed = {check.id for check in report.checks if check.result == "fail"}
    if "keys_reachable" in failed:
        return EXIT_KEYS_UNAVAILABLE
    if "configuration_valid" in failed:
        return EXIT_USAGE
    return EXIT_CHECK_FAILED


def enroll_output(
    report: EnrollmentReport, proposal: EnrollmentProposal, out: str | None, written: bool
) -> dict[str, Any]:
    """What `enroll --json` prints (the TypeScript CLI prints the same shape). Settings of a configuration the
    runtime refuses are withheld (null): it may hold a value never meant for that setting (a token, a secret)."""
    refused = any(
        check.id == "configuration_valid"
        and check.result == "fail"
        and not (check.detail or "").startswith(REFUSES_ADMINISTRATOR)
        for check in report.checks
    )
    body = report.to_dict()
    jwks_url = setting_name("jwksUrl")

    def shown(name: str, value: SettingValue) -> SettingValue | None:
        if refused:
            return None
        # A key URL may carry credentials in its user information or query; they are not printed.
        return loggable_url(value) if name == jwks_url and isinstance(value, str) else value

    enrolled_by = (
        {"subject": report.subject, "issuer": report.issuer}
        if report.subject is not None and report.issuer is not None
        else None
    )
    return {
        "ok": report.ok,
        "written": written,
        "out": out,
        "settings": {name: shown(name, value) for name, value in proposal.settings.items()},
        "keySetUrl": None if report.key_set_url is None else loggable_url(report.key_set_url),
        "keys": body["keys"],
        "enrolledBy": enrolled_by,
        "checks": body["checks"],
        "decoded": body["decoded"],
    }


_RESULT_LABEL = {"pass": "PASS", "fail": "FAIL", "not_run": "SKIP"}


def _show(value: object) -> str:
    return printable(value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def enroll_summary(output: Mapping[str, Any]) -> str:
    """What a person at a terminal reads before confirming: the settings, the keys, the administrator, every check."""
    lines = ["About to trust:"]
    for name, value in output["settings"].items():
        shown: SettingValue | None = value
        text = (
            "(not shown: the configuration is refused)"
            if shown is None
            else _show(",".join(shown) if isinstance(shown, list) else shown)
        )
        lines.append(f"  {name}={text}")
    key_set = output["keySetUrl"]
    lines.append(f"  key set: {'-' if key_set is None else _show(key_set)}")
    for key in output["keys"]:
        kid = "no kid" if key["kid"] is None else f"kid {_show(key['kid'])}"
        lines.append(f"    {kid} {key['kty']} {key['alg'] or '-'} thumbprint {key['thumbprint']}")
    by = output["enrolledBy"]
    administrator = "-" if by is None else f"{_show(by['subject'])} (issuer {_show(by['issuer'])})"
    lines.append(f"  administrator: {administrator}")
    decoded = output["decoded"]
    if decoded is not None:
        header, claims = decoded["header"], decoded["claims"]
        lines.append(
            f"  assertion: alg {_show(header.get('alg', '-'))}, kid {_show(header.get('kid', '-'))}, "
            f"iss {_show(claims.get('iss', '-'))}, aud {_show(claims.get('aud', '-'))}"
        )
    lines.append("Checks:")
    for check in output["checks"]:
        detail = f" ({_show(check['detail'])})" if "detail" in check else ""
        lines.append(f"  {_RESULT_LABEL[check['result']]} {check['id']}: {check['title']}{detail}")
    return "\n".join(lines) + "\n"


def _write_record(out: str, report: EnrollmentReport, proposal: EnrollmentProposal) -> None:
    try:
        write_enrollment_record(out, enrollment_record(report, proposal, "cli"))
    except OSError as error:
        name = errno.errorcode.get(error.errno) if error.errno else None
        code = f" ({name})" if name else ""
        raise TrustedProxyAuthError(
            "invalid_config", problems=[ConfigProblem("--out", f"cannot be written{code}")]
        ) from None


def run_enroll(
    args: argparse.Namespace,
    env: Mapping[str, str],
    stdin: TextIO,
    out: TextIO,
    err: TextIO,
    *,
    is_terminal: bool,
    confirm: _Confirm | None,
    write_json: Callable[[Any], str],
) -> int:
    """Runs `enroll`. `confirm` asks the person at the terminal (None: no one to ask, so --yes is needed)."""
    if args.now is not None and not _is_seconds(args.now):
        raise _usage("--now must be a number of seconds since the epoch")
    if args.discovery and args.jwks_url is not None:
        raise _usage("give either --jwks-url or --discovery, not both")
    out_path = args.out if args.out is not None else env.get(setting_name("enrollmentFile"))
    if out_path is None or out_path.strip() == "":
        raise _usage(f"--out PATH is required (or {setting_name('enrollmentFile')})")
    assertion = _challenge_assertion(args, env, stdin)
    proposal = propose_settings(
        assertion,
        preset=args.preset,
        discovery=bool(args.discovery),
        env=_decided_settings(args, env),
        # Unattended (--yes): a token must never vouch for itself, so the issuer and audience are never read from it.
        from_assertion=False,
    )
    # The shared secret (preset authentik) is never stored in a record, but the runtime has it from its environment.
    secret_name = setting_name("sharedSecret")
    secret = env.get(secret_name)
    report = check_enrollment(
        proposal,
        assertion,
        env=None if secret is None else {secret_name: secret},
        now=None if args.now is None else float(args.now),
    )
    as_json = bool(args.json) or not is_terminal

    def show(written: bool) -> None:
        output = enroll_output(report, proposal, out_path, written)
        out.write(write_json(output) if as_json else enroll_summary(output))

    if not report.ok:
        show(False)
        return exit_code_of(report)
    if not args.yes:
        if confirm is None:
            show(False)
            err.write("not written: standard input is not a terminal, so confirm with --yes\n")
            return EXIT_USAGE
        if not as_json:
            out.write(enroll_summary(enroll_output(report, proposal, out_path, False)))
        if not confirm(f"Write the enrollment record to {out_path}? [y/N] "):
            if as_json:
                show(False)
            err.write("not written\n")
            return EXIT_CHECK_FAILED
        _write_record(out_path, report, proposal)
        if as_json:
            show(True)
        else:
            out.write(f"written: {printable(out_path)}\n")
        return EXIT_WRITTEN
    _write_record(out_path, report, proposal)
    show(True)
    return EXIT_WRITTEN


def _is_seconds(text: str) -> bool:
    return text.replace(".", "", 1).isdigit() and not text.startswith(".") and not text.endswith(".")
