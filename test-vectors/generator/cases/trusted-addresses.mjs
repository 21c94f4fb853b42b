import { fail, ok, token } from '../lib/dsl.mjs'

const untrusted = fail('untrusted_source')

/**
 * @param {string} slug @param {string} description @param {string} ranges @param {string | null} remoteAddress
 * @param {import('../lib/dsl.mjs').Expectation} expect
 */
const peer = (slug, description, ranges, remoteAddress, expect, headers = /** @type {Array<[string, import('../lib/dsl.mjs').Value]>} */ ([['X-Test-Assertion', token()]]), config = {}) => ({
  slug,
  description,
  config: { TRUSTED_PROXY_TRUSTED_ADDRESSES: ranges, ...config },
  request: { headers, remoteAddress },
  expect,
})

export default () => ({
  description:
    'TRUSTED_PROXY_TRUSTED_ADDRESSES (stage peer_address): the socket peer, never a forwarding header, must be inside a configured range; IPv4-mapped IPv6 peers count as IPv4; a missing peer fails.',
  vectors: [
    peer('ipv4-inside', 'Peer 10.1.2.3 inside 10.0.0.0/8.', '10.0.0.0/8', '10.1.2.3', ok()),
    peer('ipv4-outside', 'Peer 192.168.1.10 outside 10.0.0.0/8.', '10.0.0.0/8', '192.168.1.10', fail('untrusted_source', 'peer "192.168.1.10" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('peer-null', 'No peer address known.', '10.0.0.0/8', null, fail('untrusted_source', 'the peer address is unknown, so not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('peer-not-an-address', 'A peer string that is no IP address.', '10.0.0.0/8', 'not-an-ip', fail('untrusted_source', 'peer "not-an-ip" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('ipv4-mapped-inside', 'Peer ::ffff:10.1.2.3 (IPv4-mapped, as dual-stack sockets report) is compared as 10.1.2.3.', '10.0.0.0/8', '::ffff:10.1.2.3', ok()),
    peer('ipv4-mapped-hex-inside', 'Peer ::ffff:a01:203 is the mapped form of 10.1.2.3.', '10.0.0.0/8', '::ffff:a01:203', ok()),
    peer('ipv4-mapped-outside', 'Peer ::ffff:192.168.1.10 is outside 10.0.0.0/8.', '10.0.0.0/8', '::ffff:192.168.1.10', fail('untrusted_source', 'peer "::ffff:192.168.1.10" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('forwarded-for-ignored', 'Peer 203.0.113.5 claims via X-Forwarded-For, X-Real-IP and Forwarded to be 10.0.0.1: never believed.', '10.0.0.0/8', '203.0.113.5', fail('untrusted_source', 'peer "203.0.113.5" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES'), [
      ['X-Forwarded-For', '10.0.0.1'],
      ['X-Real-IP', '10.0.0.1'],
      ['Forwarded', 'for=10.0.0.1'],
      ['X-Test-Assertion', token()],
    ]),
    peer('ipv6-inside', 'Peer fd12:3456::1 inside fd00::/8.', 'fd00::/8', 'fd12:3456::1', ok()),
    peer('ipv6-outside', 'Peer fe80::1 outside fd00::/8.', 'fd00::/8', 'fe80::1', fail('untrusted_source', 'peer "fe80::1" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('ipv6-range-ipv4-peer', 'Peer 10.0.0.1 against only an IPv6 range.', 'fd00::/8', '10.0.0.1', fail('untrusted_source', 'peer "10.0.0.1" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('ipv6-non-canonical-peer', 'Peer 2001:0db8:0000::5 (non-canonical text) inside 2001:db8::/32.', '2001:db8::/32', '2001:0db8:0000::5', ok()),
    peer('ipv6-neighbour-outside', 'Peer 2001:db9::1 just outside 2001:db8::/32.', '2001:db8::/32', '2001:db9::1', fail('untrusted_source', 'peer "2001:db9::1" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('single-ipv4-address', 'A bare address 127.0.0.1 is a /32: the peer 127.0.0.1 is inside.', '127.0.0.1', '127.0.0.1', ok()),
    peer('single-ipv4-address-neighbour', 'A bare address 127.0.0.1: the peer 127.0.0.2 is outside.', '127.0.0.1', '127.0.0.2', fail('untrusted_source', 'peer "127.0.0.2" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('single-ipv4-address-mapped-peer', 'A bare address 127.0.0.1: the peer ::ffff:127.0.0.1 is the same address.', '127.0.0.1', '::ffff:127.0.0.1', ok()),
    peer('single-ipv6-loopback', 'A bare ::1: the peer ::1 is inside.', '::1', '::1', ok()),
    peer('single-ipv6-loopback-long-form', 'A bare ::1: the peer 0:0:0:0:0:0:0:1 is the same address.', '::1', '0:0:0:0:0:0:0:1', ok()),
    peer('single-ipv6-loopback-ipv4-peer', 'A bare ::1: the peer 127.0.0.1 is another address.', '::1', '127.0.0.1', fail('untrusted_source', 'peer "127.0.0.1" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('list-second-range', 'A list with spaces: the peer is in the second range.', ' 10.0.0.0/8 , 192.168.0.0/16 ,::1', '192.168.5.5', ok()),
    peer('list-ipv6-entry', 'A mixed list: the peer ::1 matches the IPv6 entry.', '10.0.0.0/8,192.168.0.0/16,::1', '::1', ok()),
    peer('list-none-matches', 'A mixed list: 172.16.0.1 matches nothing.', '10.0.0.0/8,192.168.0.0/16,::1', '172.16.0.1', fail('untrusted_source', 'peer "172.16.0.1" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('range-last-address', 'Peer 192.168.1.255 is the last address of 192.168.1.0/24.', '192.168.1.0/24', '192.168.1.255', ok()),
    peer('range-next-address', 'Peer 192.168.2.0 is the first address after 192.168.1.0/24.', '192.168.1.0/24', '192.168.2.0', fail('untrusted_source', 'peer "192.168.2.0" is not in TRUSTED_PROXY_TRUSTED_ADDRESSES')),
    peer('all-ipv4', '0.0.0.0/0 admits any IPv4 peer.', '0.0.0.0/0', '8.8.8.8', ok()),
    peer('untrusted-before-missing-assertion', 'An untrusted peer without any assertion: untrusted_source comes first.', '10.0.0.0/8', '192.168.1.10', untrusted, [['Accept', '*/*']]),
    peer('untrusted-in-optional-mode', 'Mode optional does not let an untrusted peer through as anonymous.', '10.0.0.0/8', '192.168.1.10', untrusted, [['Accept', '*/*']], { TRUSTED_PROXY_MODE: 'optional' }),
    peer('trusted-peer-still-verifies', 'A trusted peer is no substitute for the signature: an expired assertion is still expired.', '10.0.0.0/8', '10.1.2.3', fail('expired', 'exp 1699990000 is not after now 1700000000 - tolerance 60 s'), [
      ['X-Test-Assertion', token({ claims: { exp: 1_699_990_000, iat: 1_699_980_000, nbf: 1_699_980_000 } })],
    ]),
    {
      slug: 'not-configured-any-peer',
      description: 'Without trusted addresses the peer is not checked.',
      request: { headers: [['X-Test-Assertion', token()]], remoteAddress: '203.0.113.5' },
      expect: ok(),
    },
  ],
})
