"""Socket peer checks against the trusted address ranges, and loopback hosts for the key URL."""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CIDR = re.compile(r"(.+)/([0-9]+)", re.ASCII)


def _parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _as_ipv4_network(network: IPNetwork) -> IPNetwork:
    """An IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) is the IPv4 range it maps."""
    if isinstance(network, ipaddress.IPv6Network):
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.IPv4Network((mapped, max(0, network.prefixlen - 96)), strict=False)
    return network


def parse_address_range(text: str) -> IPNetwork | None:
    """Parses `10.0.0.0/8`, `::1`, `192.168.1.7`; returns None for anything else."""
    match = _CIDR.fullmatch(text)
    if match:
        address = _parse_address(match.group(1))
        bits = int(match.group(2))
        if address is None or bits > address.max_prefixlen:
            return None
        return _as_ipv4_network(ipaddress.ip_network((address, bits), strict=False))
    address = _parse_address(text)
    if address is None:
        return None
    return _as_ipv4_network(ipaddress.ip_network(address))


def _parse_peer(text: str) -> IPAddress | None:
    """IPv4-mapped IPv6 peers (`::ffff:127.0.0.1`, as dual-stack sockets report them) count as IPv4."""
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    address = _parse_address(bare)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted_peer(remote_address: str | None, ranges: tuple[IPNetwork, ...]) -> bool:
    """Whether the socket peer falls inside one of the ranges; a missing or unparsable peer never does."""
    if not remote_address:
        return False
    peer = _parse_peer(remote_address)
    if peer is None:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.scope_id is not None:
        peer = ipaddress.IPv6Address(peer.packed)
    return any(peer.version == network.version and peer in network for network in ranges)


def is_loopback_host(hostname: str) -> bool:
    """Loopback hosts may use plain http for the key URL: 127.0.0.0/8, ::1 and localhost."""
    host = hostname[1:-1] if hostname.startswith("[") and hostname.endswith("]") else hostname
    if host.lower() == "localhost":
        return True
    peer = _parse_peer(host)
    return peer is not None and peer.is_loopback
