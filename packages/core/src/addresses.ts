import ipaddr from 'ipaddr.js'

export type AddressRange = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** Parses `10.0.0.0/8`, `::1`, `192.168.1.7`; returns null for anything else. */
export function parseAddressRange(text: string): AddressRange | null {
  const address = text.split('/')[0] ?? ''
  // ipaddr.js also reads shortened IPv4 ("10.1"); other languages' parsers do not, so refuse it.
  if (!address.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(address)) return null
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text)
    if (!ipaddr.isValid(text)) return null
    const address = ipaddr.parse(text)
    return [address, address.kind() === 'ipv4' ? 32 : 128]
  } catch {
    return null
  }
}

/** IPv4-mapped IPv6 peers (`::ffff:127.0.0.1`, as Node reports them on dual-stack sockets) count as IPv4. */
function parsePeer(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  // Like the configured ranges: ipaddr.js reads hex, octal and short IPv4 ("0x7f.1"), which Python refuses and a
  // framework's forwarded-address string may carry; only four decimal parts are an IPv4 peer.
  if (!bare.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(bare)) return null
  if (!ipaddr.isValid(bare)) return null
  const address = ipaddr.parse(bare)
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address()
  }
  return address
}

export function isTrustedPeer(remoteAddress: string | null | undefined, ranges: readonly AddressRange[]): boolean {
  if (!remoteAddress) return false
  const peer = parsePeer(remoteAddress)
  if (!peer) return false
  return ranges.some(([network, bits]) => {
    let candidate = network
    if (candidate.kind() === 'ipv6' && (candidate as ipaddr.IPv6).isIPv4MappedAddress()) {
      candidate = (candidate as ipaddr.IPv6).toIPv4Address()
      bits = Math.max(0, bits - 96)
    }
    return peer.kind() === candidate.kind() && peer.match(candidate, bits)
  })
}

const LOOPBACK_HOSTS = new Set(['localhost'])

/** Loopback hosts may use plain http for the key URL: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  if (LOOPBACK_HOSTS.has(host.toLowerCase())) return true
  const peer = parsePeer(host)
  return peer !== null && peer.range() === 'loopback'
}
