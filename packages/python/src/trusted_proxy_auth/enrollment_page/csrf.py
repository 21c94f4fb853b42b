"""Signed double-submit CSRF protection for the enrollment page (OWASP CSRF Prevention Cheat Sheet, "signed
double-submit cookie"), as the TypeScript page does it: the cookie holds a random nonce, every form holds
HMAC-SHA-256(process secret, nonce). A cross-site page can neither read the cookie (HttpOnly, SameSite=Strict)
nor compute the token without the secret, which never leaves the process. Browsers that send `Sec-Fetch-Site`
are also held to same-origin."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from trusted_proxy_auth.request_headers import HeadersInput, header_values

CSRF_COOKIE = "tpa_enroll_csrf"
CSRF_FIELD = "csrf"
_NONCE = re.compile(r"[A-Za-z0-9_-]{43}")


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def cookie_value(headers: HeadersInput, name: str) -> str | None:
    """The value of one cookie in the request's Cookie headers, or None."""
    for header in header_values(headers, "cookie"):
        for part in header.split(";"):
            key, separator, value = part.partition("=")
            if separator and key.strip() == name:
                return value.strip()
    return None


@dataclass(frozen=True)
class CsrfSession:
    nonce: str
    #: The Set-Cookie header that stores a new nonce, or None when the request had one.
    set_cookie: str | None


class CsrfProtection:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def session(self, headers: HeadersInput, secure: bool, path: str) -> CsrfSession:
        """The nonce of the request's cookie, or a new one."""
        existing = cookie_value(headers, CSRF_COOKIE)
        if existing is not None and _NONCE.fullmatch(existing):
            return CsrfSession(existing, None)
        return self.fresh_session(secure, path)

    def fresh_session(self, secure: bool, path: str) -> CsrfSession:
        """A new nonce and the Set-Cookie header that stores it, whatever the request carried: given when the
        enrollment code is accepted, so that a nonce planted in the administrator's browser beforehand (a cookie
        set from a sibling domain, say) is not the one the code is remembered for (session fixation, OWASP
        Session Management Cheat Sheet)."""
        nonce = _base64url(secrets.token_bytes(32))
        attributes = [f"{CSRF_COOKIE}={nonce}", f"Path={path}", "HttpOnly", "SameSite=Strict"]
        if secure:
            attributes.append("Secure")
        return CsrfSession(nonce, "; ".join(attributes))

    def token(self, nonce: str) -> str:
        """The form token for a cookie nonce."""
        return _base64url(hmac.new(self._key, nonce.encode("ascii"), hashlib.sha256).digest())

    def refusal(self, headers: HeadersInput, form: Mapping[str, str] | None) -> str | None:
        """Why a state-changing request is refused (shown to the administrator; nothing secret), or None."""
        site = next(iter(header_values(headers, "sec-fetch-site")), None)
        if site is not None and site not in ("same-origin", "none"):
            return f"the form was sent from another site (Sec-Fetch-Site: {site})"
        nonce = cookie_value(headers, CSRF_COOKIE)
        if not nonce:
            return "the page\u2019s security cookie is missing (cookies blocked, or the page was not loaded first)"
        given = (form or {}).get(CSRF_FIELD)
        if not given:
            return "the form\u2019s security token is missing"
        if not hmac.compare_digest(given.encode("utf-8"), self.token(nonce).encode("ascii")):
            return "the form\u2019s security token does not match this browser\u2019s"
        return None
