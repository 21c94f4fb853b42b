import { fail, ok } from '../lib/dsl.mjs'
import { example, exampleToken, PRESET_NOW, presetConfig, proxyRequest } from '../lib/presets.mjs'

const PRESET = 'pomerium'
const HEADER = 'X-Pomerium-Jwt-Assertion'
const { header: EXAMPLE_HEADER, payload: EXAMPLE_PAYLOAD } = example(PRESET)
const KID = /** @type {string} */ (EXAMPLE_HEADER['kid'])
const ROUTE_HOST = /** @type {string} */ (EXAMPLE_PAYLOAD['aud'])
const RSA_KID = '9b1de6f4c0a2e8d7b5c3a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0'

/** @param {Record<string, string | undefined>} [settings] */
const config = (settings = {}) => presetConfig(PRESET, { TRUSTED_PROXY_ISSUER: ROUTE_HOST, TRUSTED_PROXY_AUDIENCE: ROUTE_HOST, ...settings })

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  // /.well-known/pomerium/jwks.json: the signing key, labelled ES256 like every Pomerium EC key, plus an RSA key.
  const jwks = { keys: [context.member('test-ec-p256-a', { kid: KID, alg: 'ES256' }), context.member('test-rsa-a', { kid: RSA_KID, alg: 'RS256' })] }
  /** @param {Parameters<typeof exampleToken>[1]} [spec] */
  const pomeriumToken = (spec) => exampleToken(PRESET, spec)
  /**
   * @param {string} slug @param {string} description @param {import('../lib/dsl.mjs').Value} value
   * @param {import('../lib/dsl.mjs').Expectation} expect @param {Record<string, string | undefined>} [settings]
   */
  const viaProxy = (slug, description, value, expect, settings = {}) => ({ slug, description, config: config(settings), jwks, now: PRESET_NOW, request: proxyRequest(HEADER, value), expect })

  return {
    description:
      'Preset pomerium (contract/presets.json): the X-Pomerium-Jwt-Assertion header, ES256 or RS256, bare route host as `iss` and `aud` (jwt_issuer_format hostOnly) or https://<host>/ (uri), `groups`, and a key URL that must be named explicitly (the runner names it here).',
    vectors: [
      viaProxy('es256', 'The identity assertion as Pomerium forwards it: ES256 with the route\'s key, bare host issuer and audience.', pomeriumToken(), ok({ issuer: ROUTE_HOST, audience: [ROUTE_HOST], groups: EXAMPLE_PAYLOAD['groups'] })),
      viaProxy('rs256', 'A Pomerium configured with an RSA signing key: RS256 is a preset default too.', pomeriumToken({ header: { alg: 'RS256', kid: RSA_KID } }), ok()),
      viaProxy('es384-refused', 'ES384 is not among the preset\'s algorithms (ES256, RS256).', pomeriumToken({ header: { alg: 'ES384', kid: 'test-ec-p384' } }), fail('unsupported_algorithm')),
      viaProxy('issuer-uri-format', 'jwt_issuer_format uri: issuer https://<host>/ configured and signed.', pomeriumToken({ claims: { iss: `https://${ROUTE_HOST}/` } }), ok({ issuer: `https://${ROUTE_HOST}/` }), {
        TRUSTED_PROXY_ISSUER: `https://${ROUTE_HOST}/`,
      }),
      viaProxy('issuer-format-mismatch', 'The bare host is configured but the route signs https://<host>/: issuers compare exactly.', pomeriumToken({ claims: { iss: `https://${ROUTE_HOST}/` } }), fail('issuer_mismatch')),
      viaProxy('other-route', 'An assertion minted for another route (its host as `iss` and `aud`): the issuer check comes first.', pomeriumToken({ claims: { aud: 'admin.example.com', iss: 'admin.example.com' } }), fail('issuer_mismatch')),
      viaProxy('audience-other-route-same-issuer', 'Same issuer, another route as `aud`: audience_mismatch.', pomeriumToken({ claims: { aud: 'admin.example.com' } }), fail('audience_mismatch')),
      viaProxy('forged', 'Signed by a key the route does not publish, under the route\'s kid: invalid_signature.', pomeriumToken({ key: 'test-attacker-ec-p256' }), fail('invalid_signature')),
      viaProxy('groups-required', 'TRUSTED_PROXY_ALLOWED_GROUPS=engineering lets the example user through by group.', pomeriumToken(), ok(), { TRUSTED_PROXY_ALLOWED_GROUPS: 'engineering' }),
      viaProxy('expired', 'Pomerium assertions live five minutes.', pomeriumToken({ claims: { exp: PRESET_NOW - 61 } }), fail('expired')),
      {
        slug: 'jwks-url-required',
        description: 'The key URL lives on the route host, which only the operator can name: TRUSTED_PROXY_JWKS_URL is required.',
        config: config(),
        jwks: null,
        expect: fail('invalid_config'),
      },
      {
        slug: 'jwks-url-not-taken-from-issuer',
        description: 'Even with an https issuer the key URL is never derived for this preset: still required.',
        config: config({ TRUSTED_PROXY_ISSUER: `https://${ROUTE_HOST}/` }),
        jwks: null,
        expect: fail('invalid_config'),
      },
      {
        slug: 'shared-secret-refused',
        description: 'TRUSTED_PROXY_SHARED_SECRET is only used by preset authentik.',
        config: config({ TRUSTED_PROXY_SHARED_SECRET: 'a-test-only-secret-that-is-long-enough-0123456789' }),
        expect: fail('invalid_config'),
      },
    ],
  }
}
