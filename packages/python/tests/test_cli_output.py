"""The terminal summary of a verified identity never passes a claim's control characters to the terminal."""

from __future__ import annotations

import re

from helpers import NOW

from trusted_proxy_auth import Identity
from trusted_proxy_auth.cli import _identity_summary


def test_control_characters_in_signed_claims_are_escaped_like_the_typescript_cli() -> None:
    identity = Identity(
        subject="user-1\x1b[2J",
        email="a@example.com",
        email_verified=True,
        name="\x1b]0;pwned\x07 Evil\u2028",
        groups=("ops\x9b31m",),
        issuer="https://proxy.example",
        audience=("app",),
        issued_at=None,
        expires_at=NOW + 60,
        claims={},
    )
    summary = _identity_summary(identity)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028]", summary)
    assert "  subject:   user-1\\u001b[2J\n" in summary
    assert "  name:      \\u001b]0;pwned\\u0007 Evil\\u2028\n" in summary
    assert "  groups:    ops\\u009b31m\n" in summary
