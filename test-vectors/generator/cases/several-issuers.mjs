import { fail, NOW, ok, token } from '../lib/dsl.mjs'

const A = 'https://proxy-a.test.example'
const B = 'https://proxy-b.test.example'
const BOTH = `"${A}", "${B}"`

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  const { member } = context
  /**
   * TRUSTED_PROXY_ISSUERS with issuer A (RSA and P-256 keys, the shared audience and algorithms) and issuer B
   * (its own RSA and P-256 keys, audience `app-b`, ES256 and RS256 only, no clock tolerance); `changes` replace
   * members of B's entry. Keys are inline so that every runner verifies without serving them.
   * @param {Record<string, unknown>} [changes]
   */
  const issuers = (changes = {}) => ({
    TRUSTED_PROXY_ISSUER: undefined,
    TRUSTED_PROXY_ISSUERS: JSON.stringify([
      { issuer: A, jwks: { keys: [member('test-rsa-a'), member('test-ec-p256-a')] } },
      { issuer: B, jwks: { keys: [member('test-rsa-b'), member('test-ec-p256-b')] }, audience: 'app-b', algorithms: ['ES256', 'RS256'], clock_tolerance: 0, ...changes },
    ]),
  })
  /** A vector under the two-issuer configuration, without a key endpoint. */
  const vector = (/** @type {string} */ slug, /** @type {string} */ description, /** @type {import('../lib/dsl.mjs').TokenSpec} */ spec, /** @type {import('../lib/dsl.mjs').Expectation} */ expect, changes = {}) => ({
    slug,
    description,
    config: issuers(changes),
    jwks: null,
    token: token(spec),
    expect,
  })
  const forB = { aud: 'app-b', iss: B }
  return {
    description:
      'Several issuers, each with its own keys (TRUSTED_PROXY_ISSUERS, stage issuer_selection): the entry is chosen by `iss` before any key lookup, only its keys, audience, algorithms and clock tolerance apply, and an unknown issuer is issuer_mismatch.',
    vectors: [
      vector('first-issuer-own-key', 'Issuer A signs with its RSA key: verified with A\'s keys.', { claims: { iss: A } }, ok({ issuer: A })),
      vector('second-issuer-own-key', 'Issuer B signs with its RSA key for its own audience.', { key: 'test-rsa-b', claims: forB }, ok({ issuer: B, audience: ['app-b'] })),
      vector('second-issuer-ec-key', 'Issuer B signs ES256 with its P-256 key.', { alg: 'ES256', key: 'test-ec-p256-b', claims: forB }, ok({ issuer: B })),
      vector('a-token-signed-with-b-key', 'A token naming issuer A, signed with B\'s key (kid of B): B\'s keys are never tried, A has no such kid.', { key: 'test-rsa-b', claims: { iss: A } }, fail('unknown_key', 'no usable key for kid "test-rsa-b" and alg "RS256"')),
      vector('a-token-signed-with-b-key-a-kid', 'A token naming issuer A and A\'s kid, signed with B\'s key: the signature does not verify.', { key: 'test-rsa-b', kid: 'test-rsa-a', claims: { iss: A } }, fail('invalid_signature', 'signature does not verify with kid "test-rsa-a" and alg "RS256"')),
      vector('b-token-without-kid-signed-with-a-key', 'A kid-less token naming issuer B, signed with A\'s key: only B\'s members are candidates.', { kid: null, claims: forB }, fail('invalid_signature', 'signature does not verify without kid and alg "RS256"')),
      vector('unknown-issuer', 'A token of a third issuer, signed with A\'s key: issuer_mismatch before any key lookup.', { claims: { iss: 'https://proxy-c.test.example' } }, fail('issuer_mismatch', `iss "https://proxy-c.test.example" is not one of ${BOTH}`)),
      vector('unknown-issuer-before-header-policy', 'An unknown issuer and an alg off every allow-list: the issuer is selected first.', { alg: 'HS256', hmacSecret: 'not-a-key', claims: { iss: 'https://proxy-c.test.example' } }, fail('issuer_mismatch', `iss "https://proxy-c.test.example" is not one of ${BOTH}`)),
      vector('issuer-absent', 'A token without iss: no entry can be selected.', { claims: { iss: undefined } }, fail('issuer_mismatch', 'claim "iss" is absent')),
      vector('issuer-not-a-string', 'A token whose iss is a number.', { claims: { iss: 7 } }, fail('issuer_mismatch', 'claim "iss" is not a string')),
      vector('issuer-case-differs', 'iss differs from an entry\'s issuer only in case: exact comparison.', { claims: { iss: 'https://PROXY-A.test.example' } }, fail('issuer_mismatch', `iss "https://PROXY-A.test.example" is not one of ${BOTH}`)),
      vector('entry-audience-applies', 'Issuer B\'s token for the shared audience: B accepts only app-b.', { key: 'test-rsa-b', claims: { iss: B } }, fail('audience_mismatch', 'aud "app-under-test" has none of "app-b"')),
      vector('entry-audience-not-shared', 'Issuer A\'s token for B\'s audience: A keeps the shared audience.', { claims: { iss: A, aud: 'app-b' } }, fail('audience_mismatch', 'aud "app-b" has none of "app-under-test"')),
      vector('entry-algorithms-apply', 'Issuer B allows ES256 and RS256 only: its PS256 token is refused.', { alg: 'PS256', key: 'test-rsa-b', claims: forB }, fail('unsupported_algorithm', 'alg "PS256" is not one of "ES256", "RS256"')),
      vector('entry-algorithms-not-shared', 'Issuer A keeps the shared algorithms: its PS256 token verifies.', { alg: 'PS256', claims: { iss: A } }, ok({ issuer: A })),
      vector('entry-clock-tolerance-applies', 'Issuer B has no clock tolerance: a token expired 1 s ago is refused.', { key: 'test-rsa-b', claims: { ...forB, exp: NOW - 1 } }, fail('expired')),
      vector('entry-clock-tolerance-not-shared', 'Issuer A keeps the shared 60 s tolerance: the same expiry is accepted.', { claims: { iss: A, exp: NOW - 1 } }, ok({ issuer: A })),
      vector('entry-without-audience-inherits', 'An entry without audience takes TRUSTED_PROXY_AUDIENCE.', { key: 'test-rsa-b', claims: { iss: B } }, ok({ issuer: B }), { audience: undefined }),
    ],
  }
}
