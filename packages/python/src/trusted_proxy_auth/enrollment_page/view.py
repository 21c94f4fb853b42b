"""Server-rendered HTML of the enrollment page (the TypeScript page's page-view.ts): every value escaped with
html.escape; labels, headings and roles for assistive technology."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from typing import Any, Literal

from trusted_proxy_auth._key_store import KeyStatus
from trusted_proxy_auth.enrollment import EnrollmentCheckResult, EnrollmentRecord, SettingValue

from .aware_verifier import FailureCount
from .code_guard import WRONG_ATTEMPTS_PER_SESSION
from .csrf import CSRF_FIELD
from .settings_form import SETTING_FIELD_PREFIX, ArrivedAssertion, setting_rows

_RESULT_TEXT = {"pass": "Passed", "fail": "Failed", "not_run": "Not run"}


@dataclass(frozen=True)
class PageMessage:
    kind: Literal["error", "success", "notice"]
    title: str
    text: str


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _layout(title: str, mount_path: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{_e(title)} · trusted-proxy-auth</title>
<link rel="stylesheet" href="{_e(mount_path)}/enroll.css">
<script src="{_e(mount_path)}/enroll.js" defer></script>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


def _message_box(message: PageMessage | None) -> str:
    if message is None:
        return ""
    role = "alert" if message.kind == "error" else "status"
    return (
        f'<div class="{message.kind}" role="{role}" tabindex="-1" data-focus id="outcome">'
        f"<h2>{_e(message.title)}</h2><p>{_e(message.text)}</p></div>"
    )


def _csrf_input(token: str) -> str:
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{_e(token)}">'


def _time(seconds: object) -> str:
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            return str(seconds)
    return str(seconds)


def _json(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _age(from_seconds: float | None, now: float) -> str:
    if from_seconds is None:
        return "never"
    seconds = max(0, round(now - from_seconds))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{round(seconds / 60)} min ago"
    if seconds < 172_800:
        return f"{round(seconds / 3600)} h ago"
    return f"{round(seconds / 86_400)} days ago"


def _arrived_section(arrived: Sequence[ArrivedAssertion], assertion_header: str | None, peer: str | None) -> str:
    origin = f' from <span class="mono">{_e(peer)}</span>' if peer else ""
    heading = '<h2 id="arrived">What arrived with this request</h2>'
    if not arrived:
        return (
            f'{heading}\n<div class="error" role="alert"><p>No signed assertion arrived with this request{origin}. '
            "Open this page through the identity-aware proxy (its public address), not the application\u2019s own "
            "address.</p></div>"
        )
    items = []
    for item in arrived:
        used = " (checked)" if assertion_header is not None and item.header.lower() == assertion_header.lower() else ""
        if item.decoded is None:
            items.append(
                f"<h3>Header <code>{_e(item.header)}</code>{used}</h3><p>Its value looks like a signed token but "
                "does not decode to a JSON header and claims.</p>"
            )
            continue
        header, claims = item.decoded["header"], item.decoded["claims"]
        highlights: list[tuple[str, Any]] = [
            ("alg", header.get("alg")),
            ("kid", header.get("kid")),
            ("iss (issuer)", claims.get("iss")),
            ("aud (audience)", claims.get("aud")),
            ("sub (subject)", claims.get("sub")),
            ("exp (expires)", None if "exp" not in claims else _time(claims["exp"])),
            ("iat (issued)", None if "iat" not in claims else _time(claims["iat"])),
        ]
        rows = "\n".join(
            f'<tr><th scope="row">{_e(name)}</th><td class="mono">'
            f"{'(absent)' if value is None else _e(_json(value))}</td></tr>"
            for name, value in highlights
        )
        items.append(
            f"<h3>Header <code>{_e(item.header)}</code>{used}</h3>\n"
            f'<table aria-label="Main values of the assertion in {_e(item.header)}"><tbody>\n{rows}\n</tbody></table>\n'
            "<details><summary>Decoded JOSE header and all claims (not verified)</summary>\n"
            f"<pre>{_e(json.dumps(header, indent=2, ensure_ascii=False))}</pre>\n"
            f"<pre>{_e(json.dumps(claims, indent=2, ensure_ascii=False))}</pre>\n</details>"
        )
    plural = "" if len(arrived) == 1 else "s"
    return (
        f"{heading}\n<p>Decoded for display only: nothing here is trusted until the checks below pass, and nothing "
        f"of it is stored or logged.\n{len(arrived)} header{plural} carried a signed assertion{origin}.</p>\n"
        + "\n".join(items)
    )


def _checks_section(checks: Sequence[EnrollmentCheckResult] | None) -> str:
    if checks is None:
        return ""
    items = "\n".join(
        f'<li data-check="{_e(check.id)}" data-result="{check.result}"><span class="result {check.result}">'
        f"{_RESULT_TEXT[check.result]}</span> {_e(check.title)}"
        + (f'<span class="detail">{_e(check.detail)}</span>' if check.detail else "")
        + "</li>"
        for check in checks
    )
    return f'<h2 id="checks">Checks</h2>\n<ol class="checks" aria-labelledby="checks">\n{items}\n</ol>'


def _code_field(remembered: bool) -> str:
    if remembered:
        return '<p class="hint">The enrollment code was accepted in this browser.</p>'
    return (
        '<label for="code">Enrollment code <span class="hint">Printed to the application\u2019s log at start-up '
        "(12 characters).</span></label>\n"
        '<input type="text" id="code" name="code" required autocomplete="off" autocapitalize="characters" '
        'spellcheck="false" inputmode="text" aria-describedby="code-help">\n'
        f'<span class="hint" id="code-help">After {WRONG_ATTEMPTS_PER_SESSION} wrong codes this browser must reload '
        "the page to try again.</span>"
    )


def _settings_fields(settings: Mapping[str, SettingValue], editable: bool) -> str:
    fields = []
    for name, description, value in setting_rows(settings):
        field_id = f"setting-{name}"
        if editable:
            fields.append(
                f'<label for="{_e(field_id)}">{_e(name)}<span class="hint">{_e(description)}</span></label>'
                f'<input type="text" id="{_e(field_id)}" name="{SETTING_FIELD_PREFIX}{_e(name)}" value="{_e(value)}" '
                'spellcheck="false">'
            )
        else:
            fields.append(f'<input type="hidden" name="{SETTING_FIELD_PREFIX}{_e(name)}" value="{_e(value)}">')
    return "\n".join(fields)


@dataclass(frozen=True)
class NotEnrolledView:
    mount_path: str
    csrf_token: str
    message: PageMessage | None
    arrived: Sequence[ArrivedAssertion]
    assertion_header: str | None
    settings: Mapping[str, SettingValue]
    checks: Sequence[EnrollmentCheckResult] | None
    all_passed: bool
    code_remembered: bool
    peer_address: str | None


def render_not_enrolled(view: NotEnrolledView) -> str:
    """While not enrolled: what arrived, the proposal, the checks, "Trust this proxy"."""
    mount = _e(view.mount_path)
    trust = ""
    if view.all_passed:
        trust = (
            '<h2 id="trust">Trust this proxy</h2>\n<p>Every check passed. Trusting stores these settings in the '
            "enrollment record; the application then verifies every request with them, from the next request on.</p>\n"
            f'<form method="post" action="{mount}/trust" data-busy-text="Enrolling…">\n{_csrf_input(view.csrf_token)}\n'
            f"{_settings_fields(view.settings, False)}\n{_code_field(view.code_remembered)}\n"
            '<button type="submit">Trust this proxy</button>\n</form>'
        )
    body = (
        "<h1>Trust this proxy</h1>\n"
        '<p class="lead">This application is <strong>not enrolled</strong> yet: its protected routes answer 503 '
        "<code>not_enrolled</code> until an administrator checks and trusts the identity-aware proxy in front of "
        "it.</p>\n"
        f"{_message_box(view.message)}\n"
        f"{_arrived_section(view.arrived, view.assertion_header, view.peer_address)}\n"
        f"{_checks_section(view.checks)}\n{trust}\n"
        '<h2 id="proposal">Proposed settings</h2>\n<p>Proposed from the assertion above (and the issuer\u2019s '
        "discovery document or the preset). Adjust them if needed, then run the checks: they use the assertion of "
        "the request that submits the form.</p>\n"
        f'<form method="post" action="{mount}/check" data-busy-text="Running checks…">\n'
        f"{_csrf_input(view.csrf_token)}\n{_code_field(view.code_remembered)}\n"
        f"{_settings_fields(view.settings, True)}\n"
        f'<button type="submit" class="{"secondary" if view.all_passed else ""}">Run checks</button>\n</form>'
    )
    return _layout("Trust this proxy", view.mount_path, body)


@dataclass(frozen=True)
class StatusView:
    mount_path: str
    csrf_token: str
    message: PageMessage | None
    record: EnrollmentRecord
    administrator: str
    key_status: KeyStatus
    failures: Sequence[FailureCount]
    checks: Sequence[EnrollmentCheckResult] | None
    now: float


def render_status(view: StatusView) -> str:
    """For an enrolled administrator: the record, keys and their age, failures by code, re-check and revoke."""
    record, keys, now = view.record, view.key_status, view.now
    mount = _e(view.mount_path)
    enrolled_at = datetime.strptime(record["enrolledAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    by = record["enrolledBy"]
    method = "this page" if by["method"] == "page" else "the command line"
    settings_rows = "\n".join(
        f'<tr><th scope="row" class="mono">{_e(name)}</th><td class="mono">'
        f"{_e(', '.join(value) if isinstance(value, list) else value)}</td></tr>"
        for name, value in record["settings"].items()
    )
    key_rows = "\n".join(
        f'<tr><td class="mono">{_e(key["kid"] or "(none)")}</td><td>{_e(key["kty"])}</td>'
        f'<td>{_e(key["alg"] or "(any allowed)")}</td><td class="mono">{_e(key["thumbprint"])}</td>'
        f"<td>{_age(enrolled_at, now)}</td></tr>"
        for key in record["keys"]
    )
    if view.failures:
        failure_rows = "\n".join(
            f'<tr><td class="mono">{_e(failure.code)}</td><td>{failure.count}</td>'
            f"<td>{_age(failure.last_at, now)}</td></tr>"
            for failure in view.failures
        )
        failures = (
            '<table aria-labelledby="failures"><thead><tr><th scope="col">Code</th><th scope="col">Count</th>'
            f'<th scope="col">Last</th></tr></thead><tbody>\n{failure_rows}\n</tbody></table>'
        )
    else:
        failures = "<p>No request has been rejected since enrollment.</p>"
    last_error = f'; last error: <span class="mono">{_e(keys.last_error)}</span>' if keys.last_error else ""
    plural = "" if keys.key_count == 1 else "s"
    body = (
        "<h1>Enrollment status</h1>\n"
        '<p class="lead">This application is <strong>enrolled</strong> and verifies every request. Signed in as '
        f'<span class="mono">{_e(view.administrator)}</span>.</p>\n{_message_box(view.message)}\n'
        '<h2 id="record">Enrollment</h2>\n<table aria-labelledby="record"><tbody>\n'
        f'<tr><th scope="row">Enrolled</th><td>{_e(record["enrolledAt"])} ({_age(enrolled_at, now)}) by '
        f'<span class="mono">{_e(by["subject"])}</span> of <span class="mono">{_e(by["issuer"])}</span>, via {method}'
        "</td></tr>\n"
        f'<tr><th scope="row">Key set URL</th><td class="mono">{_e(record["keySetUrl"] or "(none)")}</td></tr>\n'
        f"{settings_rows}\n</tbody></table>\n"
        f'<h2 id="keys">Keys</h2>\n<p>Key set: <strong>{_e(keys.state)}</strong>, {keys.key_count} key{plural} loaded; '
        f"last fetch {_age(keys.last_fetch_at, now)}, last successful fetch {_age(keys.last_success_at, now)}"
        f"{last_error}.</p>\n"
        '<table aria-label="Keys seen at enrollment"><thead><tr><th scope="col">kid</th><th scope="col">Type</th>'
        '<th scope="col">alg</th><th scope="col">Thumbprint (RFC 7638)</th><th scope="col">Seen</th></tr></thead>'
        f"<tbody>\n{key_rows}\n</tbody></table>\n"
        f'<h2 id="failures">Recent failures</h2>\n{failures}\n{_checks_section(view.checks)}\n'
        '<h2 id="actions">Actions</h2>\n'
        f'<form method="post" action="{mount}/check" data-busy-text="Running checks…">\n'
        f"{_csrf_input(view.csrf_token)}\n"
        '<button type="submit" class="secondary">Re-run the checks</button>\n</form>\n'
        f'<form method="post" action="{mount}/revoke" data-busy-text="Revoking…">\n{_csrf_input(view.csrf_token)}\n'
        "<p>Revoking removes the enrollment record: protected routes answer 503 <code>not_enrolled</code> at once "
        "and a new enrollment code is written to the log.</p>\n"
        '<button type="submit" class="danger">Revoke this enrollment</button>\n</form>'
    )
    return _layout("Enrollment status", view.mount_path, body)


def render_message(mount_path: str, message: PageMessage, link: bool) -> str:
    """A page that only explains (refused action, wrong visitor)."""
    back = f'<p><a href="{_e(mount_path)}">Back to the enrollment page</a></p>' if link else ""
    return _layout(message.title, mount_path, f"<h1>{_e(message.title)}</h1>\n{_message_box(message)}\n{back}")
