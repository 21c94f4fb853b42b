import { fail, join, ok, token } from '../lib/dsl.mjs'

const tooLarge = fail('assertion_too_large')

export default () => ({
  description:
    'Size limit (stage size): the UTF-8 byte length of the assertion (after removing a Bearer scheme) must not exceed TRUSTED_PROXY_MAX_ASSERTION_BYTES (default 16384), checked before any decoding.',
  vectors: [
    {
      slug: 'at-configured-limit',
      description: 'A 1025-byte assertion with the limit 1025: accepted.',
      config: { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '1025' },
      token: token({ padTo: 1025 }),
      expect: ok(),
    },
    {
      slug: 'one-over-configured-limit',
      description: 'The same 1025-byte assertion with the limit 1024.',
      config: { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '1024' },
      token: token({ padTo: 1025 }),
      expect: tooLarge,
    },
    {
      slug: 'at-default-limit',
      description: 'A 16384-byte assertion under the default limit: accepted.',
      token: token({ header: { typ: undefined }, padTo: 16384 }),
      expect: ok(),
    },
    {
      slug: 'one-over-default-limit',
      description: 'A 16385-byte, correctly signed assertion under the default limit.',
      token: token({ padTo: 16385 }),
      expect: tooLarge,
    },
    {
      slug: 'multibyte-counted-in-bytes',
      description: 'Limit 256: 200 "é" characters are 400 UTF-8 bytes, too large although only 200 characters.',
      config: { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '256' },
      token: 'é'.repeat(200),
      expect: tooLarge,
    },
    {
      slug: 'multibyte-under-limit-is-malformed',
      description: 'Limit 256: 100 "é" characters (200 bytes) pass the size check and fail syntax.',
      config: { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '256' },
      token: 'é'.repeat(100),
      expect: fail('malformed_assertion'),
    },
    {
      slug: 'huge-garbage',
      description: '100000 bytes of garbage are refused for size before any parsing.',
      token: 'a.'.repeat(50_000),
      expect: tooLarge,
    },
    {
      slug: 'bearer-scheme-not-counted',
      description: 'Authorization: Bearer + a 1025-byte assertion with the limit 1025: the scheme is not part of the assertion.',
      config: { TRUSTED_PROXY_ASSERTION_HEADER: 'Authorization', TRUSTED_PROXY_MAX_ASSERTION_BYTES: '1025' },
      request: { headers: [['Authorization', join('Bearer ', token({ padTo: 1025 }))]] },
      expect: ok(),
    },
    {
      slug: 'request-header-too-large',
      description: 'A 1025-byte assertion in the header with the limit 1024.',
      config: { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '1024' },
      request: { headers: [['X-Test-Assertion', token({ padTo: 1025 })]] },
      expect: tooLarge,
    },
  ],
})
