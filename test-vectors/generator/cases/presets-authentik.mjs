import { fail, ok } from '../lib/dsl.mjs'
import { example, exampleToken, PRESET_NOW, presetConfig, proxyRequest } from '../lib/presets.mjs'

const PRESET = 'authentik'
const HEADER = 'X-authentik-jwt'
const { payload: EXAMPLE_PAYLOAD } = example(PRESET)
const ISSUER = /** @type {string} */ (EXAMPLE_PAYLOAD['iss'])
const CLIENT_ID = /** @type {string} */ (EXAMPLE_PAYLOAD['aud'])
/** TEST-ONLY shared secret (the proxy provider's client secret in real life). Never use it anywhere else. */
const SECRET = 'test-only-authentik-client-secret-never-use-0123456789'
const SECRET_32_BYTES = 'test-only-secret-of-32-bytes-abc'
const SECRET_31_BYTES = SECRET_32_BYTES.slice(1)
/** 16 characters, 32 UTF-8 bytes: the minimum counts bytes. */
const SECRET_32_MULTIBYTE = 'é'.repeat(16)
if (Buffer.byteLength(SECRET_32_BYTES) !== 32 || Buffer.byteLength(SECRET_31_BYTES) !== 31 || Buffer.byteLength(SECRET_32_MULTIBYTE) !== 32) throw new Error('secret sizes are off')
/** Its base64 form is the configured secret of vector secret-not-base64-decoded. */
const BASE64_DECODED = 'test-only-secret-decoded-from-base64!'
const invalid = fail('invalid_config')

/** @param {Record<string, string | undefined>} [settings] */
const config = (settings = {}) => presetConfig(PRESET, { TRUSTED_PROXY_ISSUER: ISSUER, TRUSTED_PROXY_AUDIENCE: CLIENT_ID, TRUSTED_PROXY_SHARED_SECRET: SECRET, ...settings })

/** An authentik proxy token, HMAC-SHA256 under `secret`. @param {Parameters<typeof exampleToken>[1]} [spec] @param {string} [secret] */
const outpostToken = (spec = {}, secret = SECRET) => exampleToken(PRESET, { hmacSecret: secret, ...spec })

/**
 * No key set is ever served (`jwks: null`): the runner must not set TRUSTED_PROXY_JWKS_URL.
 * @param {string} slug @param {string} description @param {import('../lib/dsl.mjs').Value} value
 * @param {import('../lib/dsl.mjs').Expectation} expect @param {Record<string, string | undefined>} [settings]
 */
const viaOutpost = (slug, description, value, expect, settings = {}) => ({ slug, description, config: config(settings), jwks: null, now: PRESET_NOW, request: proxyRequest(HEADER, value), expect })
/** @param {string} slug @param {string} description @param {Record<string, string | undefined>} settings */
const refused = (slug, description, settings) => ({ slug, description, config: config(settings), jwks: null, expect: invalid })

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => ({
  description:
    'Preset authentik (contract/presets.json): the X-authentik-jwt header signed HS256 with the proxy provider\'s client secret (quirk sharedSecretHS256), verified with TRUSTED_PROXY_SHARED_SECRET and never with a key set: only HS256 is accepted, no key URL or algorithm list may be set, and nothing is fetched. The secret here is a TEST-ONLY value.',
  vectors: [
    viaOutpost('hs256', 'The outpost\'s JWT signed with the client secret: identity with groups.', outpostToken(), ok({ groups: EXAMPLE_PAYLOAD['groups'] })),
    viaOutpost('hs256-wrong-secret', 'Signed with another secret: invalid_signature.', outpostToken({}, 'another-test-only-secret-of-enough-length-9876543210'), fail('invalid_signature')),
    viaOutpost('hs256-with-kid', 'A `kid` header is ignored: the secret is the single candidate.', outpostToken({ header: { kid: 'some-kid' } }), ok()),
    viaOutpost('rs256-refused', 'An RS256 token (a real signature by a test key): only HS256 is accepted.', exampleToken(PRESET, { header: { alg: 'RS256' } }), fail('unsupported_algorithm')),
    viaOutpost('es256-refused', 'An ES256 token: unsupported_algorithm.', exampleToken(PRESET, { header: { alg: 'ES256' } }), fail('unsupported_algorithm')),
    viaOutpost('hs384-refused', 'HS384 is not HS256.', outpostToken({ header: { alg: 'HS384' } }), fail('unsupported_algorithm')),
    viaOutpost('hs256-lowercase-refused', '`alg` "hs256": algorithms match exactly.', outpostToken({ header: { alg: 'hs256' } }), fail('unsupported_algorithm')),
    viaOutpost('none-refused', '`alg` "none" with an empty signature.', outpostToken({ header: { alg: 'none' }, signature: () => 'AA' }), fail('unsupported_algorithm')),
    viaOutpost('hmac-with-public-key-refused', 'HS256 keyed with a public key PEM (the classic confusion) is just a wrong secret here.', outpostToken({}, context.publicKeyPem('test-rsa-a')), fail('invalid_signature')),
    viaOutpost('tampered-payload', 'The payload changed after signing: invalid_signature.', outpostToken({ edit: (token) => { const [h, , s] = token.split('.'); return `${h}.${Buffer.from(JSON.stringify({ ...EXAMPLE_PAYLOAD, sub: 'admin' })).toString('base64url')}.${s}` } }), fail('invalid_signature')),
    viaOutpost('expired', 'authentik tokens expire with the session.', outpostToken({ claims: { exp: PRESET_NOW - 61 } }), fail('expired')),
    viaOutpost('issuer-without-trailing-slash', 'The issuer is configured with its trailing slash; a token without it does not match.', outpostToken({ claims: { iss: ISSUER.replace(/\/$/, '') } }), fail('issuer_mismatch')),
    viaOutpost('other-provider', 'A token of another proxy provider (another client id): audience_mismatch.', outpostToken({ claims: { aud: 'Zz9yQ2Zx7sW8kL3mP0tR5vB9cD4fG6hJ2aE8uI1o' } }), fail('audience_mismatch')),
    viaOutpost('secret-32-bytes', 'A secret of exactly 32 bytes is long enough.', outpostToken({}, SECRET_32_BYTES), ok(), { TRUSTED_PROXY_SHARED_SECRET: SECRET_32_BYTES }),
    viaOutpost('secret-32-bytes-multibyte', 'A secret of 16 characters and 32 UTF-8 bytes: the minimum counts bytes, and the key is those bytes.', outpostToken({}, SECRET_32_MULTIBYTE), ok(), {
      TRUSTED_PROXY_SHARED_SECRET: SECRET_32_MULTIBYTE,
    }),
    viaOutpost('secret-trimmed', 'Surrounding whitespace of the setting is trimmed like every string setting; the key is the trimmed text.', outpostToken(), ok(), { TRUSTED_PROXY_SHARED_SECRET: `  ${SECRET}\n` }),
    viaOutpost('secret-not-base64-decoded', 'A secret that happens to be base64 is used as text, never decoded: a token keyed with the decoded bytes does not verify.', outpostToken({}, BASE64_DECODED), fail('invalid_signature'), {
      TRUSTED_PROXY_SHARED_SECRET: Buffer.from(BASE64_DECODED).toString('base64'),
    }),
    refused('secret-31-bytes', 'A secret of 31 bytes is shorter than the SHA-256 output: invalid_config.', { TRUSTED_PROXY_SHARED_SECRET: SECRET_31_BYTES }),
    refused('secret-missing', 'TRUSTED_PROXY_SHARED_SECRET is required by preset authentik.', { TRUSTED_PROXY_SHARED_SECRET: undefined }),
    refused('secret-only-whitespace', 'A secret of spaces is empty once trimmed.', { TRUSTED_PROXY_SHARED_SECRET: ' '.repeat(40) }),
    refused('jwks-url-set', 'TRUSTED_PROXY_JWKS_URL must not be set: a shared secret is never mixed with a key set.', { TRUSTED_PROXY_JWKS_URL: 'https://auth.example.com/application/o/whoami/jwks/' }),
    refused('algorithms-hs256-set', 'TRUSTED_PROXY_ALGORITHMS must not be set with preset authentik, not even to HS256.', { TRUSTED_PROXY_ALGORITHMS: 'HS256' }),
    refused('algorithms-rs256-set', 'TRUSTED_PROXY_ALGORITHMS=RS256 with preset authentik.', { TRUSTED_PROXY_ALGORITHMS: 'RS256' }),
    refused('aws-alb-arn-refused', 'TRUSTED_PROXY_AWS_ALB_ARN is only used by preset aws-alb.', {
      TRUSTED_PROXY_AWS_ALB_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac',
    }),
  ],
})
