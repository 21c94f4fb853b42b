import { fail, ok } from '../lib/dsl.mjs'
import { example, exampleToken, PRESET_NOW, presetConfig, proxyRequest } from '../lib/presets.mjs'

const PRESET = 'teleport'
const HEADER = 'Teleport-Jwt-Assertion'
const { payload: EXAMPLE_PAYLOAD } = example(PRESET)
const CLUSTER = /** @type {string} */ (EXAMPLE_PAYLOAD['iss'])
const APP_URI = /** @type {string[]} */ (EXAMPLE_PAYLOAD['aud'])[0] ?? ''

/** @param {Record<string, string | undefined>} [settings] */
const config = (settings = {}) => presetConfig(PRESET, { TRUSTED_PROXY_ISSUER: CLUSTER, TRUSTED_PROXY_AUDIENCE: APP_URI, ...settings })

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  /** Teleport publishes its JWT keys without kid. @param {string} name @param {Record<string, unknown>} [extra] */
  const kidless = (name, extra = {}) => context.member(name, { kid: undefined, ...extra })
  const jwks = { keys: [kidless('test-rsa-a', { alg: 'RS256' })] }
  /** @param {Parameters<typeof exampleToken>[1]} [spec] */
  const teleportToken = (spec) => exampleToken(PRESET, spec)
  /**
   * @param {string} slug @param {string} description @param {import('../lib/dsl.mjs').Value} value
   * @param {import('../lib/dsl.mjs').Expectation} expect @param {object} [keySet] @param {Record<string, string | undefined>} [settings]
   */
  const viaProxy = (slug, description, value, expect, keySet = jwks, settings = {}) => ({ slug, description, config: config(settings), jwks: keySet, now: PRESET_NOW, request: proxyRequest(HEADER, value), expect })

  return {
    description:
      'Preset teleport (contract/presets.json): the Teleport-Jwt-Assertion header, RS256 or ES256, tokens and keys without kid (quirk kidOptionalTryAll: every key of the right type is a candidate), the bare cluster name as `iss`, the app\'s internal URI as `aud`, `roles` as groups and `username` as name. The refetch after a failed try-all is covered by unit tests.',
    vectors: [
      viaProxy('rs256-without-kid', 'Teleport\'s application token: no kid in the token or the key set; roles become groups, username the name.', teleportToken(), ok({ groups: EXAMPLE_PAYLOAD['roles'], name: EXAMPLE_PAYLOAD['username'], issuer: CLUSTER })),
      viaProxy('second-key-verifies', 'Two kid-less RSA keys (during a rotation): the second one verifies.', teleportToken(), ok(), { keys: [kidless('test-rsa-b', { alg: 'RS256' }), kidless('test-rsa-a', { alg: 'RS256' })] }),
      viaProxy('es256-without-kid', 'An ES256 cluster: the EC key of a mixed kid-less set verifies.', teleportToken({ header: { alg: 'ES256' } }), ok(), { keys: [kidless('test-rsa-a', { alg: 'RS256' }), kidless('test-ec-p256-a')] }),
      viaProxy('no-key-of-the-type', 'An RS256 token and only EC keys: unknown_key.', teleportToken(), fail('unknown_key'), { keys: [kidless('test-ec-p256-a')] }),
      viaProxy('forged-without-kid', 'No kid and no candidate verifies (also after the one refetch): invalid_signature.', teleportToken({ key: 'test-attacker-rsa' }), fail('invalid_signature')),
      viaProxy('kid-matches', 'A token with a kid follows the common rule: the member with that kid verifies.', teleportToken({ header: { kid: 'teleport-key-1' } }), ok(), { keys: [context.member('test-rsa-a', { kid: 'teleport-key-1' })] }),
      viaProxy('kid-not-published', 'A token with a kid no member has: unknown_key, even though a kid-less member would verify.', teleportToken({ header: { kid: 'teleport-key-2' } }), fail('unknown_key')),
      viaProxy('expired', 'Teleport tokens last as long as the session certificate: expired after that.', teleportToken({ claims: { exp: PRESET_NOW - 61 } }), fail('expired')),
      viaProxy('other-application', 'A token for another app\'s URI: audience_mismatch.', teleportToken({ claims: { aud: ['http://localhost:9090'] } }), fail('audience_mismatch')),
      viaProxy('issuer-url-form', 'The cluster name is configured as a URL, but Teleport signs the bare name: issuer_mismatch.', teleportToken(), fail('issuer_mismatch'), jwks, { TRUSTED_PROXY_ISSUER: `https://${CLUSTER}` }),
      viaProxy('explicit-claim-mapping-wins', 'TRUSTED_PROXY_CLAIM_NAME=sub set explicitly replaces the preset\'s username mapping.', teleportToken(), ok({ name: EXAMPLE_PAYLOAD['sub'] }), jwks, { TRUSTED_PROXY_CLAIM_NAME: 'sub' }),
      viaProxy('allowed-by-role', 'TRUSTED_PROXY_ALLOWED_GROUPS=editor matches a Teleport role.', teleportToken(), ok(), jwks, { TRUSTED_PROXY_ALLOWED_GROUPS: 'editor' }),
      { slug: 'jwks-url-required', description: 'The key URL is on the proxy\'s public address: TRUSTED_PROXY_JWKS_URL is required.', config: config(), jwks: null, expect: fail('invalid_config') },
      {
        slug: 'shared-secret-refused',
        description: 'TRUSTED_PROXY_SHARED_SECRET is only used by preset authentik.',
        config: config({ TRUSTED_PROXY_SHARED_SECRET: 'a-test-only-secret-that-is-long-enough-0123456789' }),
        expect: fail('invalid_config'),
      },
    ],
  }
}
