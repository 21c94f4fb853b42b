from __future__ import annotations

import pytest

from trusted_proxy_auth.addresses import is_loopback_host, is_trusted_peer, parse_address_range


def ranges(*texts: str) -> tuple:  # type: ignore[type-arg]
    parsed = tuple(parse_address_range(text) for text in texts)
    assert None not in parsed
    return parsed


@pytest.mark.parametrize(
    ("peer", "configured", "trusted"),
    [
        ("10.1.2.3", ("10.0.0.0/8",), True),
        ("11.0.0.1", ("10.0.0.0/8",), False),
        ("::ffff:10.1.2.3", ("10.0.0.0/8",), True),
        ("10.1.2.3", ("::ffff:10.0.0.0/104",), True),
        ("::1", ("::1",), True),
        ("[::1]", ("::1",), True),
        ("::2", ("::1",), False),
        ("127.0.0.1", ("::1",), False),
        ("fe80::1%eth0", ("fe80::/10",), True),
        ("", ("0.0.0.0/0",), False),
        (None, ("0.0.0.0/0",), False),
        ("not-an-ip", ("0.0.0.0/0",), False),
        ("10.0.0.1", ("10.0.0.1/8",), True),
    ],
)
def test_trusted_peer(peer: str | None, configured: tuple[str, ...], trusted: bool) -> None:
    assert is_trusted_peer(peer, ranges(*configured)) is trusted


@pytest.mark.parametrize("text", ["10.0.0.0/33", "::/129", "10.0.0.0/255.0.0.0", "10.0.0.0/", "host", "1.2.3"])
def test_invalid_ranges(text: str) -> None:
    assert parse_address_range(text) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
