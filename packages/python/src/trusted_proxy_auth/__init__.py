"""trusted-proxy-auth: verify the signed identity assertion an identity-aware proxy forwards.

Configuration comes from the TRUSTED_PROXY_* environment variables of the shared contract; keyword
overrides (snake_case) win::

    from trusted_proxy_auth import TrustedProxyAuth

    auth = TrustedProxyAuth()  # reads TRUSTED_PROXY_* from the environment
    identity = auth.verify_request(request_headers, remote_addr=peer_address)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version

from ._issuer_entries import IssuerConfig
from ._key_sources.key_source import (
    DiscoverySource,
    InlineJwksSource,
    JwksFileSource,
    JwksSource,
    KeySource,
    KidTemplateSource,
    SharedSecretSource,
)
from ._key_store import KeyStatus
from ._scheduler import Scheduler, ThreadScheduler
from .config import NameValueRule, TrustedProxyAuthConfig, load_config
from .errors import ConfigProblem, TrustedProxyAuthError, error_codes
from .identity import Identity
from .problem_details import PROBLEM_CONTENT_TYPE, ProblemResponse, to_problem_details
from .request_headers import HeadersInput, header_values
from .requirements import RouteRequirements, check_requirements
from .verifier import TrustedProxyAuth

try:
    #: The installed distribution's version (package.json's, see pyproject.toml).
    __version__ = _distribution_version("trusted-proxy-auth")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "ConfigProblem",
    "DiscoverySource",
    "HeadersInput",
    "Identity",
    "InlineJwksSource",
    "IssuerConfig",
    "JwksFileSource",
    "JwksSource",
    "KeySource",
    "KeyStatus",
    "KidTemplateSource",
    "NameValueRule",
    "ProblemResponse",
    "RouteRequirements",
    "Scheduler",
    "SharedSecretSource",
    "ThreadScheduler",
    "TrustedProxyAuth",
    "TrustedProxyAuthConfig",
    "TrustedProxyAuthError",
    "__version__",
    "check_requirements",
    "error_codes",
    "header_values",
    "load_config",
    "to_problem_details",
]
