import { fail, ok } from '../lib/dsl.mjs'
import { example, exampleToken, PRESET_NOW, presetConfig, proxyRequest } from '../lib/presets.mjs'

const PRESET = 'google-iap'
const HEADER = 'x-goog-iap-jwt-assertion'
const { header: EXAMPLE_HEADER, payload: EXAMPLE_PAYLOAD } = example(PRESET)
const KID = /** @type {string} */ (EXAMPLE_HEADER['kid'])
const BACKEND_SERVICE = /** @type {string} */ (EXAMPLE_PAYLOAD['aud'])
const APP_ENGINE = '/projects/123456789012/apps/example-project'
const CLOUD_RUN = '/projects/123456789012/locations/europe-west1/services/example-service'

/** No TRUSTED_PROXY_ISSUER: the preset fills https://cloud.google.com/iap. @param {Record<string, string | undefined>} [settings] */
const config = (settings = {}) => presetConfig(PRESET, { TRUSTED_PROXY_AUDIENCE: BACKEND_SERVICE, ...settings })

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  // Google's public_key-jwk set: several ES256 keys with short kids.
  const jwks = { keys: [context.member('test-ec-p256-b', { kid: 'f9R3yg', alg: 'ES256' }), context.member('test-ec-p256-a', { kid: KID, alg: 'ES256' })] }
  /** @param {Parameters<typeof exampleToken>[1]} [spec] */
  const iapToken = (spec) => exampleToken(PRESET, spec)
  /**
   * @param {string} slug @param {string} description @param {import('../lib/dsl.mjs').Value} value
   * @param {import('../lib/dsl.mjs').Expectation} expect @param {Record<string, string | undefined>} [settings] @param {string} [header]
   */
  const viaProxy = (slug, description, value, expect, settings = {}, header = HEADER) => ({ slug, description, config: config(settings), jwks, now: PRESET_NOW, request: proxyRequest(header, value), expect })

  return {
    description:
      'Preset google-iap (contract/presets.json): the x-goog-iap-jwt-assertion header, ES256 only, issuer https://cloud.google.com/iap filled by the preset, Google\'s fixed key set (the runner serves a stand-in and names its URL), and path-like audiences for load balancers, App Engine and Cloud Run.',
    vectors: [
      viaProxy('load-balancer', 'An IAP assertion for a backend service behind the external load balancer; the issuer comes from the preset.', iapToken(), ok({ issuer: 'https://cloud.google.com/iap', audience: [BACKEND_SERVICE] })),
      viaProxy('app-engine', 'An IAP assertion for App Engine (audience /projects/<number>/apps/<id>).', iapToken({ claims: { aud: APP_ENGINE } }), ok({ audience: [APP_ENGINE] }), { TRUSTED_PROXY_AUDIENCE: APP_ENGINE }),
      viaProxy('cloud-run', 'An IAP assertion for Cloud Run (audience /projects/<number>/locations/<region>/services/<name>).', iapToken({ claims: { aud: CLOUD_RUN } }), ok({ audience: [CLOUD_RUN] }), { TRUSTED_PROXY_AUDIENCE: CLOUD_RUN }),
      viaProxy('header-mixed-case', 'X-Goog-IAP-JWT-Assertion: header names match case-insensitively.', iapToken(), ok(), {}, 'X-Goog-IAP-JWT-Assertion'),
      viaProxy('other-backend-service', 'An assertion for another backend service of the same project: audience_mismatch.', iapToken({ claims: { aud: '/projects/123456789012/global/backendServices/9876543210987654321' } }), fail('audience_mismatch')),
      viaProxy('audience-prefix', 'Audiences compare exactly: a prefix of the configured path is not the same audience.', iapToken({ claims: { aud: '/projects/123456789012/global/backendServices/' } }), fail('audience_mismatch')),
      viaProxy('other-issuer', 'A Google ID token (issuer https://accounts.google.com) is not an IAP assertion.', iapToken({ claims: { iss: 'https://accounts.google.com' } }), fail('issuer_mismatch')),
      viaProxy('explicit-issuer-wins', 'TRUSTED_PROXY_ISSUER set explicitly replaces the preset\'s issuer.', iapToken(), fail('issuer_mismatch'), { TRUSTED_PROXY_ISSUER: 'https://iap.test.example' }),
      viaProxy('rs256-refused', 'IAP signs ES256 only: an RS256 token is unsupported_algorithm.', iapToken({ header: { alg: 'RS256', kid: 'test-rsa-a' } }), fail('unsupported_algorithm')),
      viaProxy('unknown-kid', 'A kid Google does not publish (here: the stand-in set): unknown_key.', iapToken({ header: { kid: 'zz9Qxw' } }), fail('unknown_key')),
      viaProxy('forged', 'Signed by another P-256 key under a published kid: invalid_signature.', iapToken({ key: 'test-attacker-ec-p256' }), fail('invalid_signature')),
      viaProxy('expired', 'IAP assertions live ten minutes.', iapToken({ claims: { exp: PRESET_NOW - 61 } }), fail('expired')),
      { slug: 'audience-missing', description: 'The audience is per application and has no default: required.', config: config({ TRUSTED_PROXY_AUDIENCE: undefined }), expect: fail('invalid_config') },
      {
        slug: 'aws-alb-arn-refused',
        description: 'TRUSTED_PROXY_AWS_ALB_ARN is only used by preset aws-alb.',
        config: config({ TRUSTED_PROXY_AWS_ALB_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac' }),
        expect: fail('invalid_config'),
      },
    ],
  }
}
