"""RFC 7638 JWK thumbprints (SHA-256), for the enrollment record's audit trail."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: RFC 7638 section 3.2: the required members of each key type, nothing else.
_REQUIRED_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The SHA-256 thumbprint of a public JWK (RSA, EC, OKP), base64url without padding: the hash of the
    required members in lexicographic order, JSON without white space (RFC 7638 section 3). Raises
    KeyError/ValueError for another key type or a missing member."""
    members = _REQUIRED_MEMBERS[str(jwk["kty"])]
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
