"""Key requests share one TLS context: building one reads a CA bundle (tens of milliseconds of CPU), which
every refresh, and every case of `verify --batch`, would otherwise pay again."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
from helpers import JwksResponse, loopback_jwks_server

from trusted_proxy_auth._key_fetch import KeyRequest, fetch_key_document


def test_every_key_request_uses_the_same_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[ssl.SSLContext] = []
    original = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = original(*args, **kwargs)
        created.append(context)
        return context

    monkeypatch.setattr(ssl, "create_default_context", counting)
    with loopback_jwks_server() as (base, routes):
        routes["/jwks.json"] = JwksResponse.of()
        request = KeyRequest(url=f"{base}/jwks.json", timeout=5, max_bytes=1 << 16, accept="application/json")
        for _ in range(3):
            assert fetch_key_document(request, None).body == b'{"keys": []}'
    # None when an earlier test already made the process's context; one at most, never one per request.
    assert len(created) <= 1
