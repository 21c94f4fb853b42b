import { fail, join, ok } from '../lib/dsl.mjs'
import { example, exampleToken, PRESET_NOW, presetConfig, proxyRequest } from '../lib/presets.mjs'

const PRESET = 'oauth2-proxy'
const { header: EXAMPLE_HEADER, payload: EXAMPLE_PAYLOAD } = example(PRESET)
const KID = /** @type {string} */ (EXAMPLE_HEADER['kid'])
const IDP = /** @type {string} */ (EXAMPLE_PAYLOAD['iss'])
const CLIENT_ID = /** @type {string} */ (EXAMPLE_PAYLOAD['aud'])
/** Nothing listens on port 2 (not a port the Fetch standard blocks): discovery from a loopback issuer must fail (a runner must not mock it). */
const UNREACHABLE_ISSUER = 'http://127.0.0.1:2/realms/corp'
const invalid = fail('invalid_config')

/** @param {Record<string, string | undefined>} [settings] */
const config = (settings = {}) => presetConfig(PRESET, { TRUSTED_PROXY_ISSUER: IDP, TRUSTED_PROXY_AUDIENCE: CLIENT_ID, ...settings })

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  // The IdP's jwks_uri (a Keycloak realm here): a signing key and an encryption key.
  const jwks = { keys: [context.member('test-rsa-a', { kid: KID, alg: 'RS256' }), context.member('test-rsa-b', { kid: 'enc-key-1', alg: 'RSA-OAEP', use: 'enc' })] }
  /** @param {Parameters<typeof exampleToken>[1]} [spec] */
  const idToken = (spec) => exampleToken(PRESET, spec)
  /**
   * @param {string} slug @param {string} description @param {import('../lib/dsl.mjs').Value} value
   * @param {import('../lib/dsl.mjs').Expectation} expect @param {Record<string, string | undefined>} [settings]
   */
  const viaProxy = (slug, description, value, expect, settings = {}) => ({ slug, description, config: config(settings), jwks, now: PRESET_NOW, request: proxyRequest('Authorization', value), expect })
  /** @param {string} slug @param {string} description @param {Record<string, string | undefined>} settings */
  const refused = (slug, description, settings) => ({ slug, description, config: config(settings), jwks: null, expect: invalid })

  return {
    description:
      'Preset oauth2-proxy (contract/presets.json): the IdP\'s ID token relayed as `Authorization: Bearer` (--pass-authorization-header), the IdP\'s issuer and keys, audience = oauth2-proxy\'s client id. With TRUSTED_PROXY_JWKS_URL set (here by the runner) discovery is skipped; discovery itself is covered by loopback unit tests, its configuration rules here.',
    vectors: [
      viaProxy('id-token-bearer', 'A Keycloak ID token as oauth2-proxy passes it: identity with groups and the boolean email_verified.', join('Bearer ', idToken()), ok({ groups: EXAMPLE_PAYLOAD['groups'], emailVerified: true })),
      viaProxy('id-token-lowercase-scheme', 'The Bearer scheme matches case-insensitively.', join('bearer ', idToken()), ok()),
      viaProxy('id-token-without-scheme', 'A value without the Bearer scheme is taken as the assertion itself.', idToken(), ok()),
      viaProxy('id-token-expired', 'oauth2-proxy keeps relaying the session\'s ID token after it expired: expired.', join('Bearer ', idToken({ claims: { exp: PRESET_NOW - 61 } })), fail('expired')),
      viaProxy('authorized-party-is-not-audience', 'An ID token for another client that only names oauth2-proxy as `azp`: audience_mismatch.', join('Bearer ', idToken({ claims: { aud: 'account' } })), fail('audience_mismatch')),
      viaProxy('extra-audience', 'An audience listed with --oidc-extra-audience, configured as a second TRUSTED_PROXY_AUDIENCE value.', join('Bearer ', idToken({ claims: { aud: ['oauth2-proxy', 'reporting-api'] } })), ok(), {
        TRUSTED_PROXY_AUDIENCE: 'oauth2-proxy,reporting-api',
      }),
      viaProxy('access-token-refused', 'An access token of another issuer (the realm\'s token service under a different URL): issuer_mismatch.', join('Bearer ', idToken({ claims: { iss: 'https://idp.example.com/realms/other' } })), fail('issuer_mismatch')),
      viaProxy('forged', 'Signed by another key under the IdP\'s kid: invalid_signature.', join('Bearer ', idToken({ key: 'test-attacker-rsa' })), fail('invalid_signature')),
      {
        slug: 'discovery-unreachable',
        description: 'No TRUSTED_PROXY_JWKS_URL: the keys are found by discovery from the issuer, which is a closed loopback port here, so the keys are unavailable.',
        config: config({ TRUSTED_PROXY_ISSUER: UNREACHABLE_ISSUER }),
        jwks: null,
        now: PRESET_NOW,
        request: proxyRequest('Authorization', join('Bearer ', idToken({ claims: { iss: UNREACHABLE_ISSUER } }))),
        expect: fail('jwks_unavailable'),
      },
      refused('discovery-issuer-http-remote', 'No key URL and an http issuer on a remote host: discovery needs an https issuer (or loopback http).', { TRUSTED_PROXY_ISSUER: 'http://idp.example.com/realms/corp' }),
      refused('discovery-two-issuers', 'No key URL and two issuers: discovery needs exactly one.', { TRUSTED_PROXY_ISSUER: `${IDP},https://idp.example.com/realms/other` }),
      refused('discovery-issuer-not-a-url', 'No key URL and an issuer that is not a URL.', { TRUSTED_PROXY_ISSUER: 'idp.example.com' }),
      refused('discovery-issuer-missing', 'No key URL and no issuer.', { TRUSTED_PROXY_ISSUER: undefined }),
      refused('aws-alb-arn-refused', 'TRUSTED_PROXY_AWS_ALB_ARN is only used by preset aws-alb.', {
        TRUSTED_PROXY_AWS_ALB_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac',
      }),
    ],
  }
}
