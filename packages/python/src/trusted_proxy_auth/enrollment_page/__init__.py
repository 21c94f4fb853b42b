"""The one-click enrollment page for ASGI applications (Starlette, FastAPI): `TrustedProxyEnrollmentMiddleware`."""

from __future__ import annotations

from .asgi import TrustedProxyEnrollmentMiddleware
from .aware_verifier import EnrollmentAwareVerifier
from .page import DEFAULT_ENROLLMENT_PATH, EnrollmentPage, EnrollmentPageSettings, PageRequest, PageResponse

__all__ = [
    "DEFAULT_ENROLLMENT_PATH",
    "EnrollmentAwareVerifier",
    "EnrollmentPage",
    "EnrollmentPageSettings",
    "PageRequest",
    "PageResponse",
    "TrustedProxyEnrollmentMiddleware",
]
