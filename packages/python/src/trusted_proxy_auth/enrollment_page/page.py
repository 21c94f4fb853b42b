"""The one-click "Trust this proxy" page as a sans-I/O handler, with the TypeScript page's routes, statuses,
CSRF, one-time code and views (ENROLL-API.md "Page routes"): GET `<path>` shows what arrived with the request,
the proposed settings and (once enrolled, to an enrolled administrator) the status; POST `<path>/check` runs the
checks, `<path>/trust` writes the record and switches the verifier to enforcing, `<path>/revoke` removes it."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import httpx

from trusted_proxy_auth._contract import setting_name
from trusted_proxy_auth.enrollment import (
    EnrollmentCheckResult,
    EnrollmentProposal,
    SettingValue,
    acheck_enrollment,
    apropose_settings,
    enrollment_record,
    revoke_enrollment,
    write_enrollment_record,
)
from trusted_proxy_auth.errors import ConfigProblem, TrustedProxyAuthError
from trusted_proxy_auth.identity import Identity
from trusted_proxy_auth.request_headers import HeadersInput, header_values

from .assets import PAGE_SCRIPT, PAGE_STYLE
from .aware_verifier import EnrollmentAwareVerifier
from .code_guard import WRONG_ATTEMPTS_BEFORE_ROTATION, WRONG_ATTEMPTS_PER_SESSION, EnrollmentCodeGuard
from .csrf import CsrfProtection, CsrfSession
from .settings_form import arrived_assertions, proposal_from_form
from .view import NotEnrolledView, PageMessage, StatusView, render_message, render_not_enrolled, render_status

DEFAULT_ENROLLMENT_PATH = "/.well-known/trusted-proxy-auth/enroll"
#: Longest form body read for the page.
MAX_FORM_BYTES = 64 * 1024
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "cache-control": "no-store",
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
_LOOPBACK_HOST = re.compile(r"^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$", re.IGNORECASE)
_HTML = "text/html; charset=utf-8"
logger = logging.getLogger("trusted_proxy_auth.enrollment")


@dataclass(frozen=True)
class PageRequest:
    method: str
    path: str
    headers: HeadersInput
    #: The parsed url-encoded form of a POST, else None.
    form: Mapping[str, str] | None
    peer_address: str | None


@dataclass(frozen=True)
class PageResponse:
    status: int
    headers: Mapping[str, str]
    body: str


@dataclass
class _State:
    status: int
    message: PageMessage | None = None
    settings: Mapping[str, SettingValue] | None = None
    checks: Sequence[EnrollmentCheckResult] | None = None
    all_passed: bool = False


@dataclass(frozen=True)
class EnrollmentPageSettings:
    """What an application chooses about its enrollment page."""

    #: Where the page is served (absolute, no trailing slash).
    path: str = DEFAULT_ENROLLMENT_PATH
    #: The record's path; default the enrollment file setting (one of the two is required).
    file: str | None = None
    #: Propose settings from this preset instead of from the assertion alone.
    preset: str | None = None
    #: Propose the key set URL through OpenID discovery from the assertion's issuer.
    discovery: bool = True
    #: The CSRF cookie's Secure attribute; "auto": unless the Host is a loopback name or address.
    secure_cookie: bool | Literal["auto"] = "auto"
    overrides: Mapping[str, Any] = field(default_factory=dict)


def _mount_path(path: str) -> str:
    mount = path.rstrip("/")
    if not mount.startswith("/") or re.search(r"[?#\s]", mount):
        raise TypeError(f"the enrollment path must be an absolute path without query or spaces, got {path!r}")
    return mount


class EnrollmentPage:
    """Raises `invalid_config` when no record path is named, or an existing record is invalid."""

    def __init__(
        self,
        settings: EnrollmentPageSettings,
        *,
        env: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.mount_path = _mount_path(settings.path)
        file = settings.file or settings.overrides.get("enrollment_file") or env.get(setting_name("enrollmentFile"))
        if not file:
            raise TrustedProxyAuthError(
                "invalid_config",
                problems=[
                    ConfigProblem(
                        "enrollment", f"needs the record\u2019s path: set {setting_name('enrollmentFile')} or file"
                    )
                ],
            )
        self.file: str = str(file)
        self._settings = settings
        self._env = env
        self._async_transport = async_transport
        self._clock = clock
        self.verifier = EnrollmentAwareVerifier(
            file=self.file,
            env=env,
            overrides=settings.overrides,
            mount_path=self.mount_path,
            transport=transport,
            async_transport=async_transport,
            clock=clock,
        )
        self._csrf = CsrfProtection()
        self._codes = EnrollmentCodeGuard(logger, self.mount_path, clock)
        if not self.verifier.enrolled:
            self._codes.rotate("no enrollment record yet")

    def handles(self, path: str) -> bool:
        bare = re.split(r"[?#]", path, maxsplit=1)[0]
        return bare == self.mount_path or bare.startswith(f"{self.mount_path}/")

    def close(self) -> None:
        self.verifier.close()

    # -- helpers ------------------------------------------------------------------------------------

    def _respond(
        self, status: int, body: str, set_cookie: str | None, extra: Mapping[str, str] | None = None
    ) -> PageResponse:
        headers = {**SECURITY_HEADERS, "content-type": _HTML}
        if set_cookie:
            headers["set-cookie"] = set_cookie
        headers.update(extra or {})
        return PageResponse(status, headers, body)

    def _message(self, status: int, message: PageMessage, link: bool, set_cookie: str | None) -> PageResponse:
        return self._respond(status, render_message(self.mount_path, message, link), set_cookie)

    def _challenge(self, request: PageRequest, settings: Mapping[str, SettingValue]) -> tuple[str | None, str | None]:
        """The header the checks read (the configured one, else the first that carried an assertion) and its
        assertion."""
        arrived = arrived_assertions(request.headers)
        header_setting = setting_name("assertionHeader")
        configured = (
            self._settings.overrides.get("assertion_header")
            or self._env.get(header_setting)
            or settings.get(header_setting)
        )
        if isinstance(configured, str) and configured:
            match = next((item for item in arrived if item.header.lower() == configured.lower()), None)
            return configured, None if match is None else match.assertion
        return (arrived[0].header, arrived[0].assertion) if arrived else (None, None)

    async def _propose(self, request: PageRequest, nonce: str) -> tuple[dict[str, SettingValue], str | None, bool]:
        """The page's proposal, the problem text when there is none, and whether discovery was withheld.

        OpenID discovery fetches from the assertion's issuer, and the assertion is not verified yet (anyone who
        reaches the page can send one): so it runs only for a browser that gave the enrollment code, never for an
        anonymous visitor, who could otherwise make the application request any https (or loopback http) URL and
        read the cause of failure on the page (a scan of the internal network)."""
        header, assertion = self._challenge(request, {})
        header_only: dict[str, SettingValue] = {setting_name("assertionHeader"): header} if header else {}
        if not assertion:
            return header_only, None, False
        discovery = self._settings.discovery and self._codes.remembered(nonce)
        try:
            proposal = await apropose_settings(
                assertion,
                preset=self._settings.preset,
                discovery=discovery,
                env=self._env,
                assertion_header=header,
                transport=self._async_transport,
            )
        except TrustedProxyAuthError as error:
            return header_only, error.detail or error.message, False
        settings = dict(proposal.settings)
        return settings, None, self._settings.discovery and not discovery and not _has_key_source(settings)

    async def _with_discovered_keys(self, proposal: EnrollmentProposal, assertion: str) -> EnrollmentProposal:
        """A proposal without a key source gets the key set URL by OpenID discovery from its issuer (the one in
        the form, chosen by a browser that gave the code); when discovery fails the proposal stays as it is and
        the checks report what is missing."""
        issuer = proposal.settings.get(setting_name("issuer"))
        single = (issuer[0] if len(issuer) == 1 else None) if isinstance(issuer, list) else issuer
        if (
            not self._settings.discovery
            or _has_key_source(proposal.settings)
            or not isinstance(single, str)
            or not single
        ):
            return proposal
        try:
            discovered = await apropose_settings(
                assertion,
                discovery=True,
                env={setting_name("issuer"): single},
                from_assertion=False,
                transport=self._async_transport,
            )
        except TrustedProxyAuthError:
            return proposal
        url = discovered.settings.get(setting_name("jwksUrl"))
        return proposal if url is None else EnrollmentProposal({**proposal.settings, setting_name("jwksUrl"): url})

    async def _not_enrolled_page(self, request: PageRequest, session: CsrfSession, state: _State) -> PageResponse:
        settings, message = state.settings, state.message
        if settings is None:
            settings, problem, discovery_withheld = await self._propose(request, session.nonce)
            if problem and message is None:
                message = PageMessage(
                    "notice",
                    "No complete proposal",
                    f"The settings could not be proposed from this assertion ({problem}); fill them in below.",
                )
            if discovery_withheld and message is None:
                message = PageMessage(
                    "notice",
                    "Key set URL",
                    "Enter the enrollment code and run the checks: the key set URL is then found by OpenID discovery "
                    "from the issuer (or fill it in).",
                )
        view = NotEnrolledView(
            mount_path=self.mount_path,
            csrf_token=self._csrf.token(session.nonce),
            message=message,
            arrived=arrived_assertions(request.headers),
            assertion_header=self._challenge(request, settings)[0],
            settings=settings,
            checks=state.checks,
            all_passed=state.all_passed,
            code_remembered=self._codes.remembered(session.nonce),
            peer_address=request.peer_address,
        )
        return self._respond(state.status, render_not_enrolled(view), session.set_cookie)

    async def _administrator(self, request: PageRequest, set_cookie: str | None) -> Identity | PageResponse:
        try:
            identity = await self.verifier.averify_administrator(request.headers, request.peer_address)
        except TrustedProxyAuthError as error:
            text = (
                "This application is enrolled; its status is shown to an enrolled administrator whose request the "
                f"proxy signed. This request was refused ({error.code})."
            )
            return self._message(401, PageMessage("error", "Sign in through the proxy", text), False, set_cookie)
        record = self.verifier.record
        allowed = self.verifier.config.allowed_users
        is_administrator = (
            identity is not None
            and record is not None
            and (
                (
                    identity.subject == record["enrolledBy"]["subject"]
                    and identity.issuer == record["enrolledBy"]["issuer"]
                )
                or identity.subject in allowed
            )
        )
        if identity is None or not is_administrator:
            text = (
                "This application is enrolled. Its enrollment status is shown only to the administrator who enrolled "
                f"it (or a user in {setting_name('allowedUsers')})."
            )
            return self._message(403, PageMessage("error", "Administrators only", text), False, set_cookie)
        return identity

    def _status_page(
        self,
        session: CsrfSession,
        subject: str,
        status: int,
        message: PageMessage | None = None,
        checks: Sequence[EnrollmentCheckResult] | None = None,
    ) -> PageResponse:
        record = self.verifier.record
        assert record is not None
        view = StatusView(
            mount_path=self.mount_path,
            csrf_token=self._csrf.token(session.nonce),
            message=message,
            record=record,
            administrator=subject,
            key_status=self.verifier.status(),
            failures=self.verifier.recent_failures(),
            checks=checks,
            now=self._clock(),
        )
        return self._respond(status, render_status(view), session.set_cookie)

    def _secure_cookie(self, request: PageRequest) -> bool:
        """The Set-Cookie's Secure attribute: configured, or `auto` (not on a loopback host)."""
        host = next(iter(header_values(request.headers, "host")), "")
        configured = self._settings.secure_cookie
        return not _LOOPBACK_HOST.match(host) if configured == "auto" else bool(configured)

    def _code_check(self, request: PageRequest, session: CsrfSession) -> PageMessage | CsrfSession:
        """A remembered browser passes with its session; a right code passes with a new session (nonce and
        Set-Cookie) for which the code is remembered, so that a nonce planted in the administrator's browser
        never becomes one that acts without the code; a wrong one is the message to show."""
        if self._codes.remembered(session.nonce):
            return session
        fresh = self._csrf.fresh_session(self._secure_cookie(request), self.mount_path)
        outcome = self._codes.attempt(session.nonce, fresh.nonce, (request.form or {}).get("code", ""))
        if outcome == "accepted":
            return fresh
        if outcome == "rotated":
            return PageMessage(
                "error",
                "Wrong enrollment code",
                f"{WRONG_ATTEMPTS_BEFORE_ROTATION} wrong codes were entered on this page, so that code is void: a new "
                "code has been written to the application log.",
            )
        if outcome == "locked":
            return PageMessage(
                "error",
                "Wrong enrollment code",
                f"{WRONG_ATTEMPTS_PER_SESSION} wrong codes were entered in this browser, so it may not try again: "
                "reload the enrollment page to start over, then enter the code from the application log.",
            )
        left = self._codes.attempts_left(session.nonce)
        return PageMessage(
            "error",
            "Wrong enrollment code",
            f"The enrollment code does not match the one in the application log ({left} attempt"
            f"{'' if left == 1 else 's'} left in this browser).",
        )

    async def _not_enrolled_action(self, action: str, request: PageRequest, session: CsrfSession) -> PageResponse:
        if action not in ("check", "trust"):
            message = PageMessage("error", "Not enrolled", "There is no enrollment to revoke.")
            return self._message(409, message, True, session.set_cookie)
        proposal = proposal_from_form(request.form or {})
        checked = self._code_check(request, session)
        if isinstance(checked, PageMessage):
            return await self._not_enrolled_page(request, session, _State(403, checked, proposal.settings))
        session = checked
        header, assertion = self._challenge(request, proposal.settings)
        if assertion:
            proposal = await self._with_discovered_keys(proposal, assertion)
        if not assertion:
            where = f" in header {header}" if header else ""
            text = (
                f"No signed assertion arrived{where} with this request. "
                "Open this page through the identity-aware proxy."
            )
            message = PageMessage("error", "No assertion to check", text)
            return await self._not_enrolled_page(request, session, _State(400, message, proposal.settings))
        report = await acheck_enrollment(
            proposal, assertion, env=self._env, now=self._clock(), transport=self._async_transport
        )
        if not report.ok:
            failed = sum(1 for check in report.checks if check.result == "fail")
            text = (
                "A check failed when trusting, so nothing was stored."
                if action == "trust"
                else f"{failed} check{'' if failed == 1 else 's'} failed. Adjust the settings or the proxy and run "
                "the checks again."
            )
            state = _State(422, PageMessage("error", "Not trusted", text), proposal.settings, report.checks)
            return await self._not_enrolled_page(request, session, state)
        if action == "check":
            message = PageMessage(
                "success", "Every check passed", "Review the checks, then choose \u201cTrust this proxy\u201d."
            )
            return await self._not_enrolled_page(
                request, session, _State(200, message, proposal.settings, report.checks, all_passed=True)
            )
        record = enrollment_record(report, proposal, "page", datetime.fromtimestamp(self._clock(), tz=timezone.utc))
        write_enrollment_record(self.file, record)
        try:
            self.verifier.reload()
        except TrustedProxyAuthError as error:
            revoke_enrollment(self.file)
            text = f"The runtime refused the record, so it was removed: {error.detail or error.message}"
            state = _State(500, PageMessage("error", "Not trusted", text), proposal.settings, report.checks)
            return await self._not_enrolled_page(request, session, state)
        self._codes.retire()
        by = record["enrolledBy"]
        logger.warning(
            "enrolled through %s by %s (%s); protected routes now verify every request",
            self.mount_path,
            by["subject"],
            by["issuer"],
        )
        message = PageMessage(
            "success",
            "Enrolled",
            "This proxy is trusted: protected routes now verify every request with these settings.",
        )
        return self._status_page(session, by["subject"], 200, message, report.checks)

    async def _enrolled_action(
        self, action: str, request: PageRequest, session: CsrfSession, identity: Identity
    ) -> PageResponse:
        if action == "revoke":
            revoke_enrollment(self.file)
            self.verifier.reload()
            logger.warning("enrollment revoked through %s by %s", self.mount_path, identity.subject)
            self._codes.rotate("the enrollment was revoked")
            text = (
                "The record was removed: protected routes answer 503 not_enrolled until the application is enrolled "
                "again. A new enrollment code was written to the application log."
            )
            return self._message(200, PageMessage("success", "Enrollment revoked", text), True, session.set_cookie)
        if action == "check":
            record = self.verifier.record
            assert record is not None
            _, assertion = self._challenge(request, record["settings"])
            report = await acheck_enrollment(
                EnrollmentProposal(record["settings"]),
                assertion or "",
                env=self._env,
                now=self._clock(),
                transport=self._async_transport,
            )
            message = (
                PageMessage("success", "Every check passed", "The enrolled settings still hold.")
                if report.ok
                else PageMessage(
                    "error",
                    "A check failed",
                    "The enrolled settings no longer hold for this request; see the checks below.",
                )
            )
            return self._status_page(session, identity.subject, 200, message, report.checks)
        text = "This application is already enrolled; revoke the enrollment first to enroll again."
        return self._message(409, PageMessage("error", "Already enrolled", text), True, session.set_cookie)

    async def handle(self, request: PageRequest) -> PageResponse:
        sub = re.split(r"[?#]", request.path, maxsplit=1)[0][len(self.mount_path) :]
        method = request.method.upper()
        if sub in ("/enroll.js", "/enroll.css"):
            if method not in ("GET", "HEAD"):
                return self._respond(405, "", None, {"allow": "GET, HEAD"})
            script = sub.endswith(".js")
            content_type = "text/javascript; charset=utf-8" if script else "text/css; charset=utf-8"
            return PageResponse(
                200, {**SECURITY_HEADERS, "content-type": content_type}, PAGE_SCRIPT if script else PAGE_STYLE
            )
        session = self._csrf.session(request.headers, self._secure_cookie(request), self.mount_path)
        action = "" if sub in ("", "/") else sub[1:]
        if action == "":
            if method not in ("GET", "HEAD"):
                return self._respond(405, "", None, {"allow": "GET, HEAD"})
        elif action not in ("check", "trust", "revoke"):
            message = PageMessage("error", "Not found", "The enrollment page has no such address.")
            return self._message(404, message, True, session.set_cookie)
        elif method != "POST":
            return self._respond(405, "", None, {"allow": "POST"})
        else:
            reason = self._csrf.refusal(request.headers, request.form)
            if reason is not None:
                text = (
                    f"The action was refused because {reason}. Nothing was changed. "
                    "Reload the enrollment page and try again."
                )
                return self._message(403, PageMessage("error", "Request refused", text), True, session.set_cookie)
        if not self.verifier.enrolled:
            # A record written meanwhile by `trusted-proxy-auth enroll` (or another instance) takes effect here.
            try:
                self.verifier.reload()
            except TrustedProxyAuthError as error:
                text = f"The enrollment record exists but is not valid: {error.detail or error.message}"
                message = PageMessage("error", "Invalid enrollment record", text)
                return self._message(500, message, False, session.set_cookie)
            if self.verifier.enrolled:
                self._codes.retire()
                logger.warning(
                    "enrolled: the enrollment record written outside this page is in force; "
                    "protected routes now verify every request"
                )
        if not self.verifier.enrolled:
            if action == "":
                # Loading the page again is how a browser locked out by wrong codes starts over (a new session).
                if self._codes.locked(session.nonce):
                    session = self._csrf.fresh_session(self._secure_cookie(request), self.mount_path)
                return await self._not_enrolled_page(request, session, _State(200))
            return await self._not_enrolled_action(action, request, session)
        identity = await self._administrator(request, session.set_cookie)
        if isinstance(identity, PageResponse):
            return identity
        if action == "":
            return self._status_page(session, identity.subject, 200)
        return await self._enrolled_action(action, request, session, identity)


def _has_key_source(settings: Mapping[str, Any]) -> bool:
    """Whether settings name where the keys come from (a key URL, file or inline set, several issuers, a preset)."""
    names = (setting_name("jwksUrl"), setting_name("jwksFile"), setting_name("jwks"), setting_name("issuers"))
    return any(settings.get(name) is not None for name in (*names, setting_name("preset")))
