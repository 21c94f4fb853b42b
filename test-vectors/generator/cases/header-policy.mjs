import { fail, ok, token } from '../lib/dsl.mjs'

const malformed = fail('malformed_assertion')

/** An RS256 token (signed by test-rsa-a) with these header changes. @param {string} slug @param {string} description @param {Record<string, unknown>} header */
const withHeader = (slug, description, header, expect = malformed) => ({ slug, description, token: token({ header }), expect })

export default () => ({
  description:
    'Header policy (stage header_policy): alg must be a string on the allow-list, b64 and crit are refused outright, kid must be a string; other header members are ignored.',
  vectors: [
    withHeader('alg-missing', 'No alg member at all.', { alg: undefined }),
    withHeader('alg-number', 'alg is the number 256.', { alg: 256 }),
    withHeader('alg-null', 'alg is null.', { alg: null }),
    withHeader('alg-array', 'alg is ["RS256"].', { alg: ['RS256'] }),
    withHeader('alg-object', 'alg is an object.', { alg: { name: 'RS256' } }),
    withHeader('alg-boolean', 'alg is true.', { alg: true }),
    withHeader('b64-false', 'b64 false (RFC 7797 unencoded payload) without crit.', { b64: false }),
    withHeader('b64-true', 'b64 true: any b64 member is refused.', { b64: true }),
    withHeader('b64-false-in-crit', 'b64 false, listed in crit as RFC 7797 demands.', { b64: false, crit: ['b64'] }),
    withHeader('crit-empty', 'crit is an empty array (RFC 7515 forbids it; we refuse it like any crit).', { crit: [] }),
    withHeader('crit-registered-name', 'crit lists "exp", a name no extension defines.', { crit: ['exp'] }),
    withHeader('crit-unknown-extension', 'crit lists an extension (present in the header) we do not implement.', { 'x-ext': 1, crit: ['x-ext'] }),
    withHeader('crit-string', 'crit is a string instead of an array.', { crit: 'x-ext' }),
    withHeader('kid-number', 'kid is a number.', { kid: 1 }),
    withHeader('kid-null', 'kid is null (present, not a string).', { kid: null }),
    withHeader('kid-object', 'kid is an object.', { kid: { id: 'test-rsa-a' } }),
    withHeader('kid-array', 'kid is ["test-rsa-a"].', { kid: ['test-rsa-a'] }),
    withHeader('kid-boolean', 'kid is true.', { kid: true }),
    withHeader('typ-absent', 'No typ member: typ is not checked, accepted.', { typ: undefined }, ok()),
    withHeader('typ-other', 'typ "at+jwt": typ is not checked, accepted.', { typ: 'at+jwt' }, ok()),
    withHeader('unknown-member', 'An unknown header member is ignored: accepted.', { 'x-proxy': 'edge-1' }, ok()),
    withHeader('x5t-ignored', 'An x5t thumbprint is never used: with a correct signature the assertion is accepted.', { x5t: 'bm90LWEtdGh1bWJwcmludA' }, ok()),
    {
      slug: 'alg-escaped-in-json',
      description: 'alg written with JSON escapes ("RS\\u0032\\u0035\\u0036") is the string RS256 after decoding: accepted.',
      token: token({ headerJson: '{"alg":"RS\\u0032\\u0035\\u0036","kid":"test-rsa-a"}' }),
      expect: ok(),
    },
  ],
})
