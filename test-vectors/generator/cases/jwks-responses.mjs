import { fail, ok, token } from '../lib/dsl.mjs'

const unavailable = fail('jwks_unavailable')

/** @param {number} status @param {string} body @param {string} [contentType] */
const response = (status, body, contentType) => ({ response: contentType === undefined ? { status, body } : { status, contentType, body } })

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  const { member, privateMember } = context
  /** @param {Array<Record<string, unknown>>} keys */
  const jwks = (...keys) => ({ keys })
  const OCT = { kty: 'oct', k: 'c2VjcmV0LWhtYWMta2V5LWZvci10ZXN0cy1vbmx5', kid: 'test-oct', use: 'sig' }
  /** @param {string} slug @param {string} description @param {object} served @param {import('../lib/dsl.mjs').Expectation} expect */
  const served = (slug, description, served, expect = unavailable, spec = {}) => ({ slug, description, jwks: served, token: token(spec), expect })
  return {
    description:
      'What the key endpoint answers: anything but 200 with a JSON Web Key Set, or a set publishing private key material, gives jwks_unavailable (503); oct, enc, weak and unknown members are ignored while the usable ones still work.',
    vectors: [
      served('status-500', 'The endpoint answers 500.', response(500, 'internal error', 'text/plain')),
      served('status-404', 'The endpoint answers 404.', response(404, '{"error":"not found"}', 'application/json')),
      served('status-302', 'The endpoint answers 302: redirects are never followed.', response(302, '', 'text/plain')),
      served('status-204', 'The endpoint answers 204 without a body.', response(204, '')),
      served('html-page', 'A login page (200 text/html) instead of keys.', response(200, '<!doctype html><html><body>Sign in</body></html>', 'text/html')),
      served('not-json', '200 application/json whose body is not JSON.', response(200, 'keys: none', 'application/json')),
      served('truncated-json', '200 application/json with truncated JSON.', response(200, '{"keys":[', 'application/json')),
      served('empty-body', '200 application/json with an empty body.', response(200, '', 'application/json')),
      served('json-array', 'A JSON array instead of a key set.', response(200, '[]', 'application/json')),
      served('json-without-keys', 'A JSON object without keys.', response(200, '{"jwks_uri":"https://example.com"}', 'application/json')),
      served('keys-not-array', 'keys is a string.', response(200, '{"keys":"none"}', 'application/json')),
      served('keys-members-not-objects', 'keys holds numbers, not JWK objects.', response(200, '{"keys":[1,2]}', 'application/json')),
      served('keys-empty', 'A well-formed, empty key set: loaded, but no key matches.', jwks(), fail('unknown_key')),
      served('private-rsa-key-published', 'The set publishes the private RSA key (d, p, q ...): refused whole, the signing key is compromised.', jwks(privateMember('test-rsa-a'))),
      served('private-ec-key-next-to-public', 'One unrelated member carries a private EC key: the whole set is refused, even for the valid RS256 token.', jwks(member('test-rsa-a'), privateMember('test-ec-p256-b'))),
      served('private-okp-key-published', 'The set publishes a private Ed25519 key.', jwks(member('test-rsa-a'), privateMember('test-ed25519')), unavailable, { alg: 'EdDSA' }),
      served('oct-member-ignored', 'An oct (symmetric) member next to the RSA key is ignored; the RS256 token verifies.', jwks(OCT, member('test-rsa-a')), ok()),
      served('oct-member-only-candidate', 'The token names the oct member: it is never usable.', jwks(OCT, member('test-rsa-a')), fail('unknown_key'), { kid: 'test-oct' }),
      served(
        'oct-member-hs256',
        'HS256 with the published oct secret: refused as an algorithm before any key is looked at.',
        jwks(OCT, member('test-rsa-a')),
        fail('unsupported_algorithm'),
        { alg: 'HS256', kid: 'test-oct', hmacSecret: Buffer.from(OCT.k, 'base64url').toString('utf8') },
      ),
      served(
        'unusable-members-ignored',
        'oct, use "enc", RSA-1024 and unknown-kty members next to the usable key: a token without kid still verifies.',
        jwks(OCT, member('test-rsa-b', { use: 'enc' }), member('test-rsa-1024'), { kty: 'XYZ', kid: 'future', x: 'AAAA' }, member('test-rsa-a')),
        ok(),
        { kid: null },
      ),
      served('unknown-kty-only-candidate', 'The token names a member of an unknown kty.', jwks({ kty: 'XYZ', kid: 'future', x: 'AAAA' }, member('test-rsa-a')), fail('unknown_key'), { kid: 'future' }),
      served('extra-top-level-members', 'Extra members next to keys are ignored.', { keys: [member('test-rsa-a')], comment: 'rotated weekly' }, ok()),
    ],
  }
}
