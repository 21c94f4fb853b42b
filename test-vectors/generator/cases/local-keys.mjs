import { fail, ok, token } from '../lib/dsl.mjs'

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  const { member } = context
  /** TRUSTED_PROXY_JWKS holding `keys`; no key endpoint. @param {Array<Record<string, unknown>>} keys */
  const inline = (...keys) => ({ TRUSTED_PROXY_JWKS: JSON.stringify({ keys }) })
  return {
    description:
      'Key sets that are not fetched (TRUSTED_PROXY_JWKS inline; TRUSTED_PROXY_JWKS_FILE is the same set from a file, tested per language): the same key lookup and usability rules as a fetched set.',
    vectors: [
      { slug: 'inline-verifies', description: 'An inline key set holding the signing key.', config: inline(member('test-rsa-a'), member('test-ec-p256-a')), jwks: null, token: token(), expect: ok() },
      { slug: 'inline-unknown-kid', description: 'An inline key set without the token\'s kid: unknown_key, nothing is fetched.', config: inline(member('test-rsa-b')), jwks: null, token: token(), expect: fail('unknown_key', 'no usable key for kid "test-rsa-a" and alg "RS256"') },
      { slug: 'inline-without-kid-tries-type', description: 'A kid-less token: every fitting inline member is tried.', config: inline(member('test-rsa-b'), member('test-rsa-a')), jwks: null, token: token({ kid: null }), expect: ok() },
      { slug: 'inline-unusable-member-skipped', description: 'An oct member and a use=enc member beside the usable key: skipped, the usable key verifies.', config: inline({ kty: 'oct', kid: 'test-rsa-a', k: 'c2VjcmV0' }, member('test-rsa-a', { use: 'enc', kid: 'enc-key' }), member('test-rsa-a')), jwks: null, token: token(), expect: ok() },
      { slug: 'inline-only-unusable-member', description: 'The signing key published with use=enc only: no usable key.', config: inline(member('test-rsa-a', { use: 'enc' })), jwks: null, token: token(), expect: fail('unknown_key', 'no usable key for kid "test-rsa-a" and alg "RS256"') },
      { slug: 'inline-weak-rsa-skipped', description: 'A 1024-bit RSA member (key material rules): never used.', config: inline(member('test-rsa-1024', { kid: 'test-rsa-a' })), jwks: null, token: token(), expect: fail('unknown_key', 'no usable key for kid "test-rsa-a" and alg "RS256"') },
      { slug: 'inline-alg-pins-member', description: 'The member\'s alg (ES256) does not fit the RS256 token.', config: inline(member('test-rsa-a', { alg: 'ES256' })), jwks: null, token: token(), expect: fail('unknown_key', 'no usable key for kid "test-rsa-a" and alg "RS256"') },
    ],
  }
}
