import { fail, ok, token } from '../lib/dsl.mjs'

const invalid = fail('invalid_config')

/**
 * A configuration that loadConfig must refuse (no token: the error comes from loading the configuration).
 * @param {string} slug @param {string} description @param {Record<string, string | undefined>} config
 */
const refused = (slug, description, config, jwks = /** @type {object | null | undefined} */ (undefined)) => ({ slug, description, config, jwks, expect: invalid })

/**
 * A configuration that loads; the token shows it works (or what the verifier does with it).
 * @param {string} slug @param {string} description @param {Record<string, string | undefined>} config
 */
const accepted = (slug, description, config, expect = ok(), jwks = /** @type {object | null | undefined} */ (undefined)) => ({ slug, description, config, jwks, token: token(), expect })

export default () => ({
  description:
    'Configuration (contract/env.json): settings loadConfig must refuse with invalid_config (vectors without token or request), and boundary settings it must accept. The CLI reports invalid_config with exit code 2.',
  vectors: [
    refused('algorithms-hs256', 'TRUSTED_PROXY_ALGORITHMS=HS256: symmetric algorithms are never allowed.', { TRUSTED_PROXY_ALGORITHMS: 'HS256' }),
    refused('algorithms-none', 'TRUSTED_PROXY_ALGORITHMS=none.', { TRUSTED_PROXY_ALGORITHMS: 'none' }),
    refused('algorithms-mixed-with-hs256', 'TRUSTED_PROXY_ALGORITHMS=RS256,HS256: one forbidden entry spoils the list.', { TRUSTED_PROXY_ALGORITHMS: 'RS256,HS256' }),
    refused('algorithms-wrong-case', 'TRUSTED_PROXY_ALGORITHMS=rs256: values are case-sensitive.', { TRUSTED_PROXY_ALGORITHMS: 'rs256' }),
    refused('algorithms-unknown', 'TRUSTED_PROXY_ALGORITHMS=ES256K is not an allowed value.', { TRUSTED_PROXY_ALGORITHMS: 'ES256K' }),
    refused('issuer-missing', 'No TRUSTED_PROXY_ISSUER.', { TRUSTED_PROXY_ISSUER: undefined }),
    refused('issuer-only-separators', 'TRUSTED_PROXY_ISSUER=" , " holds no issuer after dropping empty items.', { TRUSTED_PROXY_ISSUER: ' , ' }),
    refused('audience-missing', 'No TRUSTED_PROXY_AUDIENCE.', { TRUSTED_PROXY_AUDIENCE: undefined }),
    refused('assertion-header-missing', 'No TRUSTED_PROXY_ASSERTION_HEADER (and no preset).', { TRUSTED_PROXY_ASSERTION_HEADER: undefined }),
    refused('jwks-url-missing', 'No TRUSTED_PROXY_JWKS_URL (and no preset).', {}, null),
    refused('jwks-url-http-remote-host', 'An http key URL on a non-loopback host.', { TRUSTED_PROXY_JWKS_URL: 'http://keys.test.example/jwks.json' }, null),
    refused('jwks-url-http-private-address', 'An http key URL on a private, non-loopback address.', { TRUSTED_PROXY_JWKS_URL: 'http://10.0.0.1/jwks.json' }, null),
    refused('jwks-url-http-localhost-lookalike', 'http://localhost.test.example is not localhost.', { TRUSTED_PROXY_JWKS_URL: 'http://localhost.test.example/jwks.json' }, null),
    refused('jwks-url-not-a-url', 'A key URL that is not a URL.', { TRUSTED_PROXY_JWKS_URL: 'not a url' }, null),
    refused('jwks-url-ftp', 'An ftp key URL.', { TRUSTED_PROXY_JWKS_URL: 'ftp://keys.test.example/jwks.json' }, null),
    refused('jwks-url-file', 'A file key URL.', { TRUSTED_PROXY_JWKS_URL: 'file:///etc/jwks.json' }, null),
    refused('jwks-url-blocked-port-loopback', 'A loopback key URL on port 9, which the Fetch standard blocks (contract/checks.json keyUrl).', { TRUSTED_PROXY_JWKS_URL: 'http://127.0.0.1:9/jwks.json' }, null),
    refused('jwks-url-blocked-port-https', 'An https key URL on port 6000 (X11), which the Fetch standard blocks.', { TRUSTED_PROXY_JWKS_URL: 'https://keys.test.example:6000/jwks.json' }, null),
    refused('jwks-url-blocked-port-leading-zeros', 'Port 010080 is port 10080, the last port the Fetch standard blocks.', { TRUSTED_PROXY_JWKS_URL: 'https://keys.test.example:010080/jwks.json' }, null),
    refused('serve-user-header-transfer-encoding', 'TRUSTED_PROXY_SERVE_USER_HEADER=Transfer-Encoding: a claim must never frame the /verify response.', { TRUSTED_PROXY_SERVE_USER_HEADER: 'Transfer-Encoding' }),
    refused('serve-email-header-set-cookie', 'TRUSTED_PROXY_SERVE_EMAIL_HEADER=set-cookie (any case): a signed value must not set a cookie.', { TRUSTED_PROXY_SERVE_EMAIL_HEADER: 'set-cookie' }),
    refused('serve-headers-collide', 'TRUSTED_PROXY_SERVE_EMAIL_HEADER names the user header (other case): one identity header would overwrite another.', { TRUSTED_PROXY_SERVE_EMAIL_HEADER: 'x-auth-request-user' }),
    refused('trusted-addresses-ipv4-prefix-too-long', 'TRUSTED_PROXY_TRUSTED_ADDRESSES=10.0.0.0/33.', { TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/33' }),
    refused('trusted-addresses-ipv6-prefix-too-long', 'TRUSTED_PROXY_TRUSTED_ADDRESSES=::1/129.', { TRUSTED_PROXY_TRUSTED_ADDRESSES: '::1/129' }),
    refused('trusted-addresses-not-an-address', 'TRUSTED_PROXY_TRUSTED_ADDRESSES=proxy.internal (a host name).', { TRUSTED_PROXY_TRUSTED_ADDRESSES: 'proxy.internal' }),
    refused('trusted-addresses-one-bad-entry', 'One bad entry in an otherwise good list.', { TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8,garbage' }),
    refused('trusted-addresses-short-ipv4', 'TRUSTED_PROXY_TRUSTED_ADDRESSES=10.1/16: a shortened (classful) IPv4 form is not an address.', { TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.1/16' }),
    refused('clock-tolerance-not-a-number', 'TRUSTED_PROXY_CLOCK_TOLERANCE=abc.', { TRUSTED_PROXY_CLOCK_TOLERANCE: 'abc' }),
    refused('clock-tolerance-fraction', 'TRUSTED_PROXY_CLOCK_TOLERANCE=1.5 is not an integer.', { TRUSTED_PROXY_CLOCK_TOLERANCE: '1.5' }),
    refused('clock-tolerance-with-unit', 'TRUSTED_PROXY_CLOCK_TOLERANCE=30s.', { TRUSTED_PROXY_CLOCK_TOLERANCE: '30s' }),
    refused('clock-tolerance-negative', 'TRUSTED_PROXY_CLOCK_TOLERANCE=-1 is below the minimum 0.', { TRUSTED_PROXY_CLOCK_TOLERANCE: '-1' }),
    refused('clock-tolerance-above-maximum', 'TRUSTED_PROXY_CLOCK_TOLERANCE=601 is above the maximum 600.', { TRUSTED_PROXY_CLOCK_TOLERANCE: '601' }),
    refused('clock-tolerance-hex', 'TRUSTED_PROXY_CLOCK_TOLERANCE=0x10.', { TRUSTED_PROXY_CLOCK_TOLERANCE: '0x10' }),
    refused('max-age-zero', 'TRUSTED_PROXY_MAX_AGE=0 is below the minimum 1.', { TRUSTED_PROXY_MAX_AGE: '0' }),
    refused('max-age-not-a-number', 'TRUSTED_PROXY_MAX_AGE=five.', { TRUSTED_PROXY_MAX_AGE: 'five' }),
    refused('max-assertion-bytes-below-minimum', 'TRUSTED_PROXY_MAX_ASSERTION_BYTES=255.', { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '255' }),
    refused('max-assertion-bytes-above-maximum', 'TRUSTED_PROXY_MAX_ASSERTION_BYTES=65537.', { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '65537' }),
    refused('jwks-timeout-zero', 'TRUSTED_PROXY_JWKS_TIMEOUT=0 is below the minimum 0.1.', { TRUSTED_PROXY_JWKS_TIMEOUT: '0' }),
    refused('jwks-timeout-above-maximum', 'TRUSTED_PROXY_JWKS_TIMEOUT=61.', { TRUSTED_PROXY_JWKS_TIMEOUT: '61' }),
    refused('jwks-timeout-not-a-number', 'TRUSTED_PROXY_JWKS_TIMEOUT=fast.', { TRUSTED_PROXY_JWKS_TIMEOUT: 'fast' }),
    refused('jwks-cache-ttl-zero', 'TRUSTED_PROXY_JWKS_CACHE_TTL=0 is below the minimum 1.', { TRUSTED_PROXY_JWKS_CACHE_TTL: '0' }),
    refused('jwks-cooldown-negative', 'TRUSTED_PROXY_JWKS_COOLDOWN=-1.', { TRUSTED_PROXY_JWKS_COOLDOWN: '-1' }),
    refused('jwks-max-stale-not-a-number', 'TRUSTED_PROXY_JWKS_MAX_STALE=forever.', { TRUSTED_PROXY_JWKS_MAX_STALE: 'forever' }),
    refused('mode-unknown', 'TRUSTED_PROXY_MODE=sometimes.', { TRUSTED_PROXY_MODE: 'sometimes' }),
    refused('several-problems', 'HS256 and a missing issuer at once: one invalid_config listing both.', { TRUSTED_PROXY_ALGORITHMS: 'HS256', TRUSTED_PROXY_ISSUER: undefined }),
    accepted('clock-tolerance-maximum', 'TRUSTED_PROXY_CLOCK_TOLERANCE=600 (the maximum) loads.', { TRUSTED_PROXY_CLOCK_TOLERANCE: '600' }),
    accepted('clock-tolerance-zero', 'TRUSTED_PROXY_CLOCK_TOLERANCE=0 (the minimum) loads.', { TRUSTED_PROXY_CLOCK_TOLERANCE: '0' }),
    accepted('max-assertion-bytes-maximum', 'TRUSTED_PROXY_MAX_ASSERTION_BYTES=65536 (the maximum) loads.', { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '65536' }),
    accepted('jwks-timeout-fraction', 'TRUSTED_PROXY_JWKS_TIMEOUT=2.5 (a number, not only integers) loads.', { TRUSTED_PROXY_JWKS_TIMEOUT: '2.5' }),
    accepted('jwks-url-port-next-to-blocked', 'https on port 10081 (next to the last blocked port) loads; nothing answers there, so the keys are unavailable.', { TRUSTED_PROXY_JWKS_URL: 'https://127.0.0.1:10081/jwks.json' }, fail('jwks_unavailable'), null),
    accepted('mode-required-explicit', 'TRUSTED_PROXY_MODE=required loads.', { TRUSTED_PROXY_MODE: 'required' }),
    accepted(
      'jwks-url-http-loopback-ipv4',
      'http is allowed for a loopback key URL; nothing listens on port 2, so the keys are unavailable.',
      { TRUSTED_PROXY_JWKS_URL: 'http://127.0.0.1:2/jwks.json' },
      fail('jwks_unavailable'),
      null,
    ),
    accepted(
      'jwks-url-http-loopback-other-127',
      'http is allowed for any 127.0.0.0/8 address.',
      { TRUSTED_PROXY_JWKS_URL: 'http://127.1.2.3:2/jwks.json' },
      fail('jwks_unavailable'),
      null,
    ),
    accepted('jwks-url-http-localhost', 'http is allowed for localhost.', { TRUSTED_PROXY_JWKS_URL: 'http://localhost:2/jwks.json' }, fail('jwks_unavailable'), null),
    accepted('jwks-url-http-ipv6-loopback', 'http is allowed for [::1].', { TRUSTED_PROXY_JWKS_URL: 'http://[::1]:2/jwks.json' }, fail('jwks_unavailable'), null),
  ],
})
