import { fail, ok } from '../lib/dsl.mjs'
import { addPadding, editSegment } from '../lib/edits.mjs'
import { example, exampleToken, PRESET_NOW, presetConfig, proxyRequest } from '../lib/presets.mjs'

const PRESET = 'cloudflare-access'
const HEADER = 'Cf-Access-Jwt-Assertion'
const { header: EXAMPLE_HEADER, payload: EXAMPLE_PAYLOAD } = example(PRESET)
const KID = /** @type {string} */ (EXAMPLE_HEADER['kid'])
const TEAM_DOMAIN = /** @type {string} */ (EXAMPLE_PAYLOAD['iss'])
const AUD_TAG = /** @type {string[]} */ (EXAMPLE_PAYLOAD['aud'])[0] ?? ''
const SERVICE_TOKEN_CLIENT = '88bf3b6d86161464f6509f7219099e57.access'
const invalid = fail('invalid_config')

/** A service token: Cloudflare sends an empty `sub` and names the client in `common_name`. */
const SERVICE_CLAIMS = {
  email: undefined,
  sub: '',
  country: undefined,
  identity_nonce: '',
  common_name: SERVICE_TOKEN_CLIENT,
}

/** @param {Record<string, string | undefined>} [settings] */
const config = (settings = {}) => presetConfig(PRESET, { TRUSTED_PROXY_ISSUER: TEAM_DOMAIN, TRUSTED_PROXY_AUDIENCE: AUD_TAG, ...settings })

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  // The team domain's /cdn-cgi/access/certs answer: two keys plus the same keys as certificates, which are not JWKS members.
  const certs = {
    keys: [context.member('test-rsa-b', { kid: 'b6c3e8a1f04d2d9e7a5b3c1d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f', alg: 'RS256' }), context.member('test-rsa-a', { kid: KID, alg: 'RS256' })],
    public_cert: { kid: KID, cert: '-----BEGIN CERTIFICATE-----\nMIIDTEST-ONLY-NOT-A-REAL-CERTIFICATE\n-----END CERTIFICATE-----\n' },
    public_certs: [{ kid: KID, cert: '-----BEGIN CERTIFICATE-----\nMIIDTEST-ONLY-NOT-A-REAL-CERTIFICATE\n-----END CERTIFICATE-----\n' }],
  }
  /** @param {Parameters<typeof exampleToken>[1]} [spec] */
  const cfToken = (spec) => exampleToken(PRESET, spec)
  /** @param {Record<string, unknown>} [claims] @param {Parameters<typeof exampleToken>[1]} [spec] */
  const serviceToken = (claims = {}, spec = {}) => cfToken({ ...spec, claims: { ...SERVICE_CLAIMS, ...claims } })
  /**
   * @param {string} slug @param {string} description @param {import('../lib/dsl.mjs').Value} value
   * @param {import('../lib/dsl.mjs').Expectation} expect @param {Record<string, string | undefined>} [settings]
   */
  const viaProxy = (slug, description, value, expect, settings = {}) => ({ slug, description, config: config(settings), jwks: certs, now: PRESET_NOW, request: proxyRequest(HEADER, value), expect })
  /** @param {string} slug @param {string} description @param {Record<string, string | undefined>} settings */
  const refused = (slug, description, settings) => ({ slug, description, config: config(settings), jwks: null, expect: invalid })

  return {
    description:
      'Preset cloudflare-access (contract/presets.json): the Cf-Access-Jwt-Assertion header, RS256 only, keys at the team domain\'s /cdn-cgi/access/certs (a key set with extra certificate members), `aud` an array holding the AUD tag, and service tokens (quirk subjectOptional: empty `sub`, identity in `common_name`). The runner serves `jwks` and sets TRUSTED_PROXY_JWKS_URL, so the derived URL is covered by configuration vectors and unit tests.',
    vectors: [
      viaProxy('user-token', 'A user\'s application token as Cloudflare Access sends it: verified with the certs key set, identity from `sub` and `email`.', cfToken(), ok({ subject: EXAMPLE_PAYLOAD['sub'], audience: [AUD_TAG] })),
      viaProxy('service-token', 'A service token: `sub` is "" and `common_name` ("<client id>.access") becomes the subject.', serviceToken(), ok({ subject: SERVICE_TOKEN_CLIENT, email: null })),
      viaProxy('service-token-without-sub', 'A service token without any `sub`: `common_name` becomes the subject.', serviceToken({ sub: undefined }), ok({ subject: SERVICE_TOKEN_CLIENT })),
      viaProxy('service-token-allowed-by-client-id', 'TRUSTED_PROXY_ALLOWED_USERS holds the service token\'s client id: the resulting subject is allowed.', serviceToken(), ok({ subject: SERVICE_TOKEN_CLIENT }), {
        TRUSTED_PROXY_ALLOWED_USERS: `alice@example.com,${SERVICE_TOKEN_CLIENT}`,
      }),
      viaProxy('service-token-not-allowed', 'TRUSTED_PROXY_ALLOWED_USERS lists only people: the service token is forbidden_user.', serviceToken(), fail('forbidden_user'), { TRUSTED_PROXY_ALLOWED_USERS: 'alice@example.com' }),
      viaProxy('service-token-refused-when-email-required', 'An application for people only requires the email claim: a service token has none (missing_claim).', serviceToken(), fail('missing_claim'), {
        TRUSTED_PROXY_REQUIRED_CLAIMS: 'email',
      }),
      viaProxy('service-token-empty-common-name', '`sub` "" and `common_name` "": no subject at all (missing_claim).', serviceToken({ common_name: '' }), fail('missing_claim')),
      viaProxy('service-token-without-common-name', '`sub` "" and no `common_name`: missing_claim.', serviceToken({ common_name: undefined }), fail('missing_claim')),
      viaProxy('service-token-common-name-null', '`common_name` null is present and not a string: malformed_assertion.', serviceToken({ common_name: null }), fail('malformed_assertion')),
      viaProxy('user-token-common-name-not-a-string', 'A user token with `common_name` 42: the fallback claim, when present, must be a string even when `sub` is usable.', cfToken({ claims: { common_name: 42 } }), fail('malformed_assertion')),
      viaProxy('user-token-sub-wins-over-common-name', 'A non-empty `sub` is the subject; `common_name` is then ignored.', cfToken({ claims: { common_name: SERVICE_TOKEN_CLIENT } }), ok({ subject: EXAMPLE_PAYLOAD['sub'] })),
      viaProxy('user-token-sub-null', '`sub` null is present and not a string: malformed_assertion, with or without `common_name`.', cfToken({ claims: { sub: null, common_name: SERVICE_TOKEN_CLIENT } }), fail('malformed_assertion')),
      viaProxy('service-token-expired', 'Service tokens expire like user tokens.', serviceToken({ exp: PRESET_NOW - 61 }), fail('expired')),
      viaProxy('service-token-other-application', 'A service token for another Access application (another AUD tag): audience_mismatch.', serviceToken({ aud: ['0d7c5b2f9e8a4c1b3d6e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c'] }), fail('audience_mismatch')),
      viaProxy('service-token-forged', 'A service token signed by a key that is not in the certs (same kid): invalid_signature.', serviceToken({}, { key: 'test-attacker-rsa' }), fail('invalid_signature')),
      viaProxy('audience-as-string', 'An `aud` string (not the usual array) holding the AUD tag is accepted like any `aud`.', cfToken({ claims: { aud: AUD_TAG } }), ok({ audience: [AUD_TAG] })),
      viaProxy('es256-refused', 'The preset accepts RS256 only: an ES256 token is unsupported_algorithm.', cfToken({ header: { alg: 'ES256', kid: 'test-ec-p256-a' } }), fail('unsupported_algorithm')),
      {
        slug: 'explicit-algorithms-win',
        description: 'TRUSTED_PROXY_ALGORITHMS=RS256,ES256 set explicitly replaces the preset default: an ES256 token verifies.',
        config: config({ TRUSTED_PROXY_ALGORITHMS: 'RS256,ES256' }),
        jwks: { ...certs, keys: [...certs.keys, context.member('test-ec-p256-a')] },
        now: PRESET_NOW,
        request: proxyRequest(HEADER, cfToken({ header: { alg: 'ES256', kid: 'test-ec-p256-a' } })),
        expect: ok(),
      },
      {
        slug: 'header-lowercase',
        description: 'The header name matches case-insensitively (cf-access-jwt-assertion, as HTTP/2 sends it).',
        config: config(),
        jwks: certs,
        now: PRESET_NOW,
        request: proxyRequest(HEADER.toLowerCase(), cfToken()),
        expect: ok(),
      },
      viaProxy('explicit-header-wins', 'TRUSTED_PROXY_ASSERTION_HEADER set explicitly replaces Cf-Access-Jwt-Assertion, so the Cloudflare header is not read.', cfToken(), fail('missing_assertion'), {
        TRUSTED_PROXY_ASSERTION_HEADER: 'X-Access-Assertion',
      }),
      viaProxy('padded-token-refused', 'Without the paddedBase64url quirk any `=` is malformed_assertion.', cfToken({ edit: editSegment(2, addPadding) }), fail('malformed_assertion')),
      {
        slug: 'issuer-trailing-slash-with-explicit-jwks-url',
        description: 'An issuer with a trailing slash cannot build the certs URL, but with TRUSTED_PROXY_JWKS_URL set explicitly nothing is derived and the configuration loads.',
        config: config({ TRUSTED_PROXY_ISSUER: `${TEAM_DOMAIN}/` }),
        jwks: certs,
        now: PRESET_NOW,
        request: proxyRequest(HEADER, cfToken({ claims: { iss: `${TEAM_DOMAIN}/` } })),
        expect: ok(),
      },
      refused('issuer-trailing-slash', 'No key URL and the issuer ends with "/": the certs URL cannot be derived (an origin has no path).', { TRUSTED_PROXY_ISSUER: `${TEAM_DOMAIN}/` }),
      refused('issuer-with-path', 'No key URL and an issuer with a path.', { TRUSTED_PROXY_ISSUER: `${TEAM_DOMAIN}/cdn-cgi` }),
      refused('issuer-http', 'No key URL and an http issuer: only https origins derive the certs URL.', { TRUSTED_PROXY_ISSUER: 'http://example-team.cloudflareaccess.com' }),
      refused('issuer-two-values', 'No key URL and two issuers: the certs URL needs exactly one.', { TRUSTED_PROXY_ISSUER: `${TEAM_DOMAIN},https://other-team.cloudflareaccess.com` }),
      refused('issuer-with-userinfo', 'No key URL and an issuer with user information.', { TRUSTED_PROXY_ISSUER: 'https://user@example-team.cloudflareaccess.com' }),
      refused('issuer-with-query', 'No key URL and an issuer with a query.', { TRUSTED_PROXY_ISSUER: `${TEAM_DOMAIN}?x=1` }),
      refused('issuer-with-fragment', 'No key URL and an issuer with a fragment.', { TRUSTED_PROXY_ISSUER: `${TEAM_DOMAIN}#team` }),
      refused('issuer-missing', 'No issuer at all: required, and nothing to derive the certs URL from.', { TRUSTED_PROXY_ISSUER: undefined }),
      refused('aws-alb-arn-refused', 'TRUSTED_PROXY_AWS_ALB_ARN is only used by preset aws-alb: never silently ignored.', {
        TRUSTED_PROXY_AWS_ALB_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac',
      }),
      refused('shared-secret-refused', 'TRUSTED_PROXY_SHARED_SECRET is only used by preset authentik.', { TRUSTED_PROXY_SHARED_SECRET: 'a-test-only-secret-that-is-long-enough-0123456789' }),
    ],
  }
}
