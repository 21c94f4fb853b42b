import { createPrivateKey } from 'node:crypto'
import { fail, ok } from '../lib/dsl.mjs'
import { editSegment, insertAt } from '../lib/edits.mjs'
import { example, exampleToken, PRESET_NOW, presetConfig, proxyRequest } from '../lib/presets.mjs'

const PRESET = 'aws-alb'
const HEADER = 'x-amzn-oidc-data'
const { header: EXAMPLE_HEADER, payload: EXAMPLE_PAYLOAD } = example(PRESET)
const KID = /** @type {string} */ (EXAMPLE_HEADER['kid'])
const ARN = /** @type {string} */ (EXAMPLE_HEADER['signer'])
const CLIENT_ID = /** @type {string} */ (EXAMPLE_HEADER['client'])
const USER_POOL = /** @type {string} */ (EXAMPLE_HEADER['iss'])
const EXPIRES = /** @type {number} */ (EXAMPLE_HEADER['exp'])
const OTHER_KID = '6c2b7f0e-1d4a-4e8b-9c3f-5a7d9e1b3c5f'
const GOV_ARN = 'arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac'
const invalid = fail('invalid_config')

/** @param {Record<string, string | undefined>} [settings] */
const config = (settings = {}) =>
  presetConfig(PRESET, { TRUSTED_PROXY_AWS_ALB_ARN: ARN, TRUSTED_PROXY_ISSUER: USER_POOL, TRUSTED_PROXY_AUDIENCE: CLIENT_ID, ...settings })

/** Padded base64 length of `text`, as ALB encodes each segment. @param {string} text */
const paddedLength = (text) => 4 * Math.ceil(Buffer.byteLength(text) / 3)

/** Adds the `=` each segment lacks, after signing: the signed input was the unpadded text. @param {string} token */
function padAfterSigning(token) {
  const padded = token
    .split('.')
    .map((segment) => segment + '='.repeat((4 - (segment.length % 4)) % 4))
    .join('.')
  if (padded.split('.').slice(0, 2).join('.') === token.split('.').slice(0, 2).join('.')) throw new Error('neither header nor payload needs padding; pick other claims')
  return padded
}

/** Removes every `=`, after signing: the signed input was the padded text. @param {string} token */
function stripPadding(token) {
  const stripped = token.replaceAll('=', '')
  if (stripped.split('.').slice(0, 2).join('.') === token.split('.').slice(0, 2).join('.')) throw new Error('neither header nor payload is padded; pick other claims')
  return stripped
}

/** A claim value that makes the payload's base64url length a multiple of 4 (a segment that needs no padding). */
function fillerForCompletePayload() {
  for (let length = 1; length <= 4; length++) {
    const filler = 'x'.repeat(length)
    const payload = JSON.stringify({ ...EXAMPLE_PAYLOAD, 'custom:team': filler })
    if (Buffer.from(payload).toString('base64url').length % 4 === 0) return filler
  }
  throw new Error('no filler found')
}

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  const pem = context.publicKeyPem('test-ec-p256-a')
  // The region's key host answers one PEM per kid; other kids are 404.
  const keyHost = { pemByKid: { [KID]: pem, [OTHER_KID]: context.publicKeyPem('test-ec-p256-b') } }
  /** @param {string | { response: { status: number, contentType?: string, body: string } }} answer */
  const keyHostAnswering = (answer) => ({ pemByKid: { [KID]: answer } })
  const { use: _use, ...privateJwk } = context.privateMember('test-ec-p256-a')
  const privatePem = /** @type {string} */ (createPrivateKey({ key: /** @type {import('node:crypto').JsonWebKey} */ (privateJwk), format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }))

  /** @param {Parameters<typeof exampleToken>[1]} [spec] */
  const albToken = (spec = {}) => exampleToken(PRESET, { padded: true, ...spec })
  /**
   * @param {string} slug @param {string} description @param {import('../lib/dsl.mjs').Value} value
   * @param {import('../lib/dsl.mjs').Expectation} expect @param {Record<string, string | undefined>} [settings] @param {object} [jwks]
   */
  const viaAlb = (slug, description, value, expect, settings = {}, jwks = keyHost) => ({ slug, description, config: config(settings), jwks, now: PRESET_NOW, request: proxyRequest(HEADER, value), expect })
  /** @param {string} slug @param {string} description @param {Record<string, string | undefined>} settings */
  const refused = (slug, description, settings) => ({ slug, description, config: config(settings), jwks: null, expect: invalid })

  const exampleLength = paddedLength(JSON.stringify(EXAMPLE_HEADER)) + 1 + paddedLength(JSON.stringify(EXAMPLE_PAYLOAD)) + 1 + paddedLength('x'.repeat(64))

  return {
    description:
      'Preset aws-alb (contract/presets.json): the x-amzn-oidc-data user-claims token with ES256, one PEM key per kid (`jwks.pemByKid`: the runner serves each at <base>/<kid> and sets TRUSTED_PROXY_JWKS_URL to <base>/{kid}), padded base64url segments whose padded text is signed, `iss`/`exp`/`signer`/`client` in the JOSE header, no `aud`, and Cognito\'s string `email_verified`.',
    vectors: [
      viaAlb('user-claims', 'The user-claims token as ALB sends it (padded segments, Cognito userinfo payload): identity with audience [client], the header issuer and expiry, and email_verified "true" read as true.', albToken(), ok({ issuer: USER_POOL, audience: [CLIENT_ID], expiresAt: EXPIRES, emailVerified: true, issuedAt: null })),
      viaAlb('unpadded', 'The same claims without padding: canonical unpadded base64url is accepted too.', albToken({ padded: false }), ok()),
      viaAlb('padding-added-after-signing', 'Signed over the unpadded text, then padded: the signature covers the text as received, so it does not verify.', albToken({ padded: false, edit: padAfterSigning }), fail('invalid_signature', 'signature does not verify with kid "abb8289f-e3a4-4a34-9472-c2105e2b2482" and alg "ES256"')),
      viaAlb('padding-removed-after-signing', 'Signed over the padded text, then stripped of padding: invalid_signature.', albToken({ edit: stripPadding }), fail('invalid_signature', 'signature does not verify with kid "abb8289f-e3a4-4a34-9472-c2105e2b2482" and alg "ES256"')),
      viaAlb('three-padding-characters', 'A segment with "===" (one `=` too many).', albToken({ edit: editSegment(2, (segment) => segment + '=') }), fail('malformed_assertion', 'not a compact JWS (three base64url segments with a JSON object header and payload)')),
      viaAlb('padding-too-short', 'A segment that needs "==" carries one `=`.', albToken({ edit: editSegment(2, (segment) => segment.replace(/==$/, '=')) }), fail('malformed_assertion', 'not a compact JWS (three base64url segments with a JSON object header and payload)')),
      viaAlb('padding-inside-segment', 'An `=` before the end of a segment.', albToken({ edit: editSegment(1, insertAt(8, '=')) }), fail('malformed_assertion', 'not a compact JWS (three base64url segments with a JSON object header and payload)')),
      viaAlb('cognito-custom-attribute', 'A Cognito custom attribute in the userinfo payload is kept in claims (its length makes the payload need no padding).', albToken({ claims: { 'custom:team': fillerForCompletePayload() } }), ok()),
      viaAlb(
        'padding-on-complete-segment',
        'Padding on a payload whose unpadded length is already a multiple of 4.',
        albToken({ claims: { 'custom:team': fillerForCompletePayload() }, edit: editSegment(1, (segment) => segment + '==') }),
        fail('malformed_assertion'),
      ),
      viaAlb('email-verified-string-false', 'email_verified "false" (Cognito\'s string) is false.', albToken({ claims: { email_verified: 'false' } }), ok({ emailVerified: false })),
      viaAlb('email-verified-other-string', 'Only the exact string "true" is true: "TRUE" is false.', albToken({ claims: { email_verified: 'TRUE' } }), ok({ emailVerified: false })),
      viaAlb('email-verified-boolean', 'A JSON boolean true is true as everywhere.', albToken({ claims: { email_verified: true } }), ok({ emailVerified: true })),
      viaAlb('email-verified-absent', 'No email_verified: null.', albToken({ claims: { email_verified: undefined } }), ok({ emailVerified: null })),
      viaAlb('allowed-email-verified-string', 'TRUSTED_PROXY_ALLOWED_USERS by email: email_verified "true" lets the email match.', albToken(), ok(), { TRUSTED_PROXY_ALLOWED_USERS: 'alice@example.com' }),
      viaAlb('allowed-email-unverified-string', 'TRUSTED_PROXY_ALLOWED_USERS by email: email_verified "false" never matches.', albToken({ claims: { email_verified: 'false' } }), fail('forbidden_user', 'subject "4b5bef9c-f2b5-40ff-a412-412cba9d0702" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS'), {
        TRUSTED_PROXY_ALLOWED_USERS: 'alice@example.com',
      }),
      viaAlb('signer-other-load-balancer', 'Minted by another ALB of the same account and region (same regional keys): issuer_mismatch.', albToken({ header: { signer: ARN.replace('example-alb/a4df45643ccf98ac', 'other-alb/0123456789abcdef') } }), fail('issuer_mismatch', 'header member "signer" "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other-alb/0123456789abcdef" is not TRUSTED_PROXY_AWS_ALB_ARN "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac"')),
      viaAlb('signer-other-account', 'Minted by another AWS customer\'s ALB in the region: issuer_mismatch.', albToken({ header: { signer: ARN.replace('123456789012', '210987654321') } }), fail('issuer_mismatch', 'header member "signer" "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/example-alb/a4df45643ccf98ac" is not TRUSTED_PROXY_AWS_ALB_ARN "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac"')),
      viaAlb('signer-case-differs', 'The ARN compares exactly.', albToken({ header: { signer: ARN.replace('example-alb', 'Example-alb') } }), fail('issuer_mismatch', 'header member "signer" "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/Example-alb/a4df45643ccf98ac" is not TRUSTED_PROXY_AWS_ALB_ARN "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac"')),
      viaAlb('signer-missing', 'No `signer` header: missing_claim.', albToken({ header: { signer: undefined } }), fail('missing_claim', 'header member "signer" is absent')),
      viaAlb('signer-not-a-string', '`signer` is an array: malformed_assertion.', albToken({ header: { signer: [ARN] } }), fail('malformed_assertion', 'header member "signer" is not a string')),
      viaAlb('signer-before-issuer', 'Wrong signer and wrong issuer: issuer_mismatch either way (the signer is checked first).', albToken({ header: { signer: ARN.replace('123456789012', '210987654321'), iss: 'https://idp.evil.example' }, claims: { iss: 'https://idp.evil.example' } }), fail('issuer_mismatch', 'header member "signer" "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/example-alb/a4df45643ccf98ac" is not TRUSTED_PROXY_AWS_ALB_ARN "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac"')),
      viaAlb('client-missing', 'No `client` header: missing_claim.', albToken({ header: { client: undefined } }), fail('missing_claim', 'header member "client" is absent')),
      viaAlb('client-other-application', 'A `client` (OIDC client id) of another application: audience_mismatch.', albToken({ header: { client: '7f1e2d3c4b5a69788796a5b4c3' } }), fail('audience_mismatch', 'header member "client" "7f1e2d3c4b5a69788796a5b4c3" is not one of "3a33a02r5hn3onhtu1mr0dit20"')),
      viaAlb('client-not-a-string', '`client` is a number: malformed_assertion.', albToken({ header: { client: 42 } }), fail('malformed_assertion', 'header member "client" is not a string')),
      viaAlb('client-one-of-several-audiences', 'The `client` is one of several configured audiences.', albToken(), ok({ audience: [CLIENT_ID] }), { TRUSTED_PROXY_AUDIENCE: `other-client,${CLIENT_ID}` }),
      viaAlb('payload-aud-ignored', 'A payload `aud` (a string) is allowed and ignored: the `client` header is the audience.', albToken({ claims: { aud: 'some-other-audience' } }), ok({ audience: [CLIENT_ID] })),
      viaAlb('payload-aud-not-a-string', 'A payload `aud` must still be a string or strings.', albToken({ claims: { aud: 42 } }), fail('malformed_assertion', 'claim "aud" is not a string or an array of strings')),
      viaAlb('issuer-header-and-payload-differ', 'Header `iss` is the user pool, payload `iss` another issuer: issuer_mismatch.', albToken({ claims: { iss: 'https://idp.other.example' } }), fail('issuer_mismatch', 'header iss "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ex4mpLe01" differs from payload iss "https://idp.other.example"')),
      viaAlb('issuer-header-only', 'Only the header carries `iss`.', albToken({ claims: { iss: undefined } }), ok({ issuer: USER_POOL })),
      viaAlb('issuer-payload-only', 'Only the payload carries `iss`.', albToken({ header: { iss: undefined } }), ok({ issuer: USER_POOL })),
      viaAlb('issuer-neither', 'Neither header nor payload carries `iss`: missing_claim.', albToken({ header: { iss: undefined }, claims: { iss: undefined } }), fail('missing_claim', 'claim "iss" is absent')),
      viaAlb('issuer-not-configured', 'Header and payload agree on an issuer that is not configured.', albToken({ header: { iss: 'https://idp.other.example' }, claims: { iss: 'https://idp.other.example' } }), fail('issuer_mismatch', 'iss "https://idp.other.example" is not one of "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ex4mpLe01"')),
      viaAlb('issuer-header-not-a-string', 'Header `iss` is a number: malformed_assertion.', albToken({ header: { iss: 7 } }), fail('malformed_assertion', 'header member "iss" is not a string')),
      viaAlb('expiry-header-earlier', 'Header `exp` has passed, payload `exp` has not: the earlier one counts (expired).', albToken({ header: { exp: PRESET_NOW - 61 } }), fail('expired', 'exp 1767225599 is not after now 1767225660 - tolerance 60 s')),
      viaAlb('expiry-payload-earlier', 'Payload `exp` has passed, header `exp` has not: expired.', albToken({ claims: { exp: PRESET_NOW - 61 } }), fail('expired', 'exp 1767225599 is not after now 1767225660 - tolerance 60 s')),
      viaAlb('expiry-earlier-is-identity', 'Both valid and different: identity.expiresAt is the earlier.', albToken({ claims: { exp: EXPIRES + 3600 } }), ok({ expiresAt: EXPIRES })),
      viaAlb('expiry-header-only', 'Only the header carries `exp`.', albToken({ claims: { exp: undefined } }), ok({ expiresAt: EXPIRES })),
      viaAlb('expiry-payload-only', 'Only the payload carries `exp`.', albToken({ header: { exp: undefined } }), ok({ expiresAt: EXPIRES })),
      viaAlb('expiry-neither', 'No `exp` anywhere: missing_claim.', albToken({ header: { exp: undefined }, claims: { exp: undefined } }), fail('missing_claim', 'claim "exp" is absent')),
      viaAlb('expiry-header-not-a-number', 'Header `exp` is a string: malformed_assertion.', albToken({ header: { exp: String(EXPIRES) } }), fail('malformed_assertion', 'header member "exp" is not a number')),
      viaAlb('required-claim-email', 'TRUSTED_PROXY_REQUIRED_CLAIMS=email works on the userinfo payload.', albToken(), ok(), { TRUSTED_PROXY_REQUIRED_CLAIMS: 'email' }),
      viaAlb('kid-second-key', 'Another kid of the region: its own PEM verifies.', albToken({ header: { kid: OTHER_KID }, key: 'test-ec-p256-b' }), ok()),
      viaAlb('kid-uppercase', 'An uppercase UUID kid is a UUID; it is inserted into the URL as received.', albToken({ header: { kid: KID.toUpperCase() } }), ok(), {}, { pemByKid: { [KID.toUpperCase()]: pem } }),
      viaAlb('kid-not-a-uuid', 'kid "example-key" is not a UUID: unknown_key without a fetch (the runner would answer it with the valid key).', albToken({ header: { kid: 'example-key' } }), fail('unknown_key', 'no usable key for kid "example-key" and alg "ES256"'), {}, { pemByKid: { [KID]: pem, 'example-key': pem } }),
      viaAlb('kid-path-traversal', 'kid "../<uuid>" never reaches the key URL.', albToken({ header: { kid: `../${KID}` } }), fail('unknown_key', 'no usable key for kid "../abb8289f-e3a4-4a34-9472-c2105e2b2482" and alg "ES256"')),
      viaAlb('kid-uuid-in-braces', 'kid "{<uuid>}" is not a bare UUID.', albToken({ header: { kid: `{${KID}}` } }), fail('unknown_key', 'no usable key for kid "{abb8289f-e3a4-4a34-9472-c2105e2b2482}" and alg "ES256"')),
      viaAlb('kid-uuid-with-suffix', 'kid "<uuid>/x" is not a bare UUID.', albToken({ header: { kid: `${KID}/x` } }), fail('unknown_key', 'no usable key for kid "abb8289f-e3a4-4a34-9472-c2105e2b2482/x" and alg "ES256"')),
      viaAlb('kid-missing', 'No kid: nothing to look up (unknown_key).', albToken({ header: { kid: undefined } }), fail('unknown_key', 'no usable key for an assertion without kid and alg "ES256"')),
      viaAlb('kid-not-published', 'A UUID the key host answers 404 for: unknown_key.', albToken({ header: { kid: '00000000-0000-4000-8000-000000000000' } }), fail('unknown_key', 'no usable key for kid "00000000-0000-4000-8000-000000000000" and alg "ES256"')),
      viaAlb('key-host-403', 'The key host answers 403 for the kid: unknown_key.', albToken(), fail('unknown_key', 'no usable key for kid "abb8289f-e3a4-4a34-9472-c2105e2b2482" and alg "ES256"'), {}, keyHostAnswering({ response: { status: 403, contentType: 'application/xml', body: '<Error><Code>AccessDenied</Code></Error>' } })),
      viaAlb('key-host-500', 'The key host answers 500: jwks_unavailable.', albToken(), fail('jwks_unavailable'), {}, keyHostAnswering({ response: { status: 500, body: 'internal error' } })),
      viaAlb('key-host-redirect', 'The key host redirects: never followed (jwks_unavailable).', albToken(), fail('jwks_unavailable'), {}, keyHostAnswering({ response: { status: 302, body: '' } })),
      viaAlb('key-private-pem', 'The answer is a private key: refused (jwks_unavailable).', albToken(), fail('jwks_unavailable'), {}, keyHostAnswering(privatePem)),
      viaAlb('key-public-and-private-pem', 'The public key followed by a private key: not exactly one public key (jwks_unavailable).', albToken(), fail('jwks_unavailable'), {}, keyHostAnswering(pem + privatePem)),
      viaAlb('key-two-public-pems', 'Two PUBLIC KEY blocks: not exactly one public key (jwks_unavailable).', albToken(), fail('jwks_unavailable'), {}, keyHostAnswering(pem + context.publicKeyPem('test-ec-p256-b'))),
      viaAlb('key-jwks-instead-of-pem', 'A JSON key set where a PEM is expected: jwks_unavailable.', albToken(), fail('jwks_unavailable'), {}, keyHostAnswering(JSON.stringify({ keys: [context.member('test-ec-p256-a', { kid: KID })] }))),
      viaAlb('key-pem-garbage', 'A PUBLIC KEY block whose content is not a key: jwks_unavailable.', albToken(), fail('jwks_unavailable'), {}, keyHostAnswering('-----BEGIN PUBLIC KEY-----\nTk9UIEEgS0VZ\n-----END PUBLIC KEY-----\n')),
      viaAlb('key-answer-too-large', 'A valid PEM followed by whitespace up to more than 16 KiB: jwks_unavailable.', albToken(), fail('jwks_unavailable'), {}, keyHostAnswering(pem + '\n'.repeat(16 * 1024))),
      viaAlb('key-answer-with-whitespace', 'A valid PEM with blank lines around it, under 16 KiB: accepted.', albToken(), ok(), {}, keyHostAnswering(`\n\n${pem}\n\n`)),
      viaAlb('key-rsa-for-es256', 'The PEM is an RSA key: not usable for ES256 (unknown_key).', albToken(), fail('unknown_key', 'no usable key for kid "abb8289f-e3a4-4a34-9472-c2105e2b2482" and alg "ES256"'), {}, keyHostAnswering(context.publicKeyPem('test-rsa-a'))),
      viaAlb('key-p384-for-es256', 'The PEM is a P-384 key: not usable for ES256 (unknown_key).', albToken(), fail('unknown_key', 'no usable key for kid "abb8289f-e3a4-4a34-9472-c2105e2b2482" and alg "ES256"'), {}, keyHostAnswering(context.publicKeyPem('test-ec-p384'))),
      viaAlb('forged', 'Signed by a P-256 key the key host does not publish: invalid_signature.', albToken({ key: 'test-attacker-ec-p256' }), fail('invalid_signature', 'signature does not verify with kid "abb8289f-e3a4-4a34-9472-c2105e2b2482" and alg "ES256"')),
      viaAlb('rs256-refused', 'ALB signs ES256 only.', albToken({ header: { alg: 'RS256' } }), fail('unsupported_algorithm', 'alg "RS256" is not one of "ES256"')),
      viaAlb('size-limit-counts-padding', 'TRUSTED_PROXY_MAX_ASSERTION_BYTES equal to the padded length: accepted.', albToken(), ok(), { TRUSTED_PROXY_MAX_ASSERTION_BYTES: String(exampleLength) }),
      viaAlb('size-limit-padding-over', 'One byte under the padded length (the padding counts): assertion_too_large.', albToken(), fail('assertion_too_large', 'longer than 849 bytes'), { TRUSTED_PROXY_MAX_ASSERTION_BYTES: String(exampleLength - 1) }),
      viaAlb('govcloud-with-key-url', 'An aws-us-gov ARN with TRUSTED_PROXY_JWKS_URL set explicitly (here by the runner): accepted.', albToken({ header: { signer: GOV_ARN } }), ok(), { TRUSTED_PROXY_AWS_ALB_ARN: GOV_ARN }),
      refused('arn-missing', 'TRUSTED_PROXY_AWS_ALB_ARN is required by preset aws-alb.', { TRUSTED_PROXY_AWS_ALB_ARN: undefined }),
      refused('arn-network-load-balancer', 'A Network Load Balancer ARN (loadbalancer/net/...) is not an ALB.', { TRUSTED_PROXY_AWS_ALB_ARN: ARN.replace('/app/', '/net/') }),
      refused('arn-target-group', 'A target group ARN is not a load balancer.', { TRUSTED_PROXY_AWS_ALB_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/example/a4df45643ccf98ac' }),
      refused('arn-short-account', 'An account id of 11 digits.', { TRUSTED_PROXY_AWS_ALB_ARN: ARN.replace('123456789012', '12345678901') }),
      refused('arn-uppercase-id', 'The load balancer id is lowercase hex.', { TRUSTED_PROXY_AWS_ALB_ARN: ARN.replace('a4df45643ccf98ac', 'A4DF45643CCF98AC') }),
      refused('arn-govcloud-without-key-url', 'An aws-us-gov ARN: the key host cannot be derived outside the aws partition, so TRUSTED_PROXY_JWKS_URL is required.', { TRUSTED_PROXY_AWS_ALB_ARN: GOV_ARN }),
      refused('arn-china-without-key-url', 'An aws-cn ARN without TRUSTED_PROXY_JWKS_URL.', { TRUSTED_PROXY_AWS_ALB_ARN: 'arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac' }),
      refused('key-url-without-kid', 'An explicit TRUSTED_PROXY_JWKS_URL must be a {kid} template.', { TRUSTED_PROXY_JWKS_URL: 'https://public-keys.auth.elb.eu-west-1.amazonaws.com/keys' }),
      refused('key-url-kid-twice', '{kid} may appear once only.', { TRUSTED_PROXY_JWKS_URL: 'https://keys.test.example/{kid}/{kid}' }),
      refused('key-url-other-placeholder', 'No other `{` or `}`: {region} is not filled in an explicit URL.', { TRUSTED_PROXY_JWKS_URL: 'https://public-keys.auth.elb.{region}.amazonaws.com/{kid}' }),
      refused('key-url-http-remote', 'With the kid filled in, the URL must still be https (or loopback http).', { TRUSTED_PROXY_JWKS_URL: 'http://keys.test.example/{kid}' }),
      refused('max-age-forbidden', 'ALB payloads carry no `iat`: TRUSTED_PROXY_MAX_AGE must not be set with preset aws-alb.', { TRUSTED_PROXY_MAX_AGE: '300' }),
      refused('shared-secret-refused', 'TRUSTED_PROXY_SHARED_SECRET is only used by preset authentik.', { TRUSTED_PROXY_SHARED_SECRET: 'a-test-only-secret-that-is-long-enough-0123456789' }),
    ],
  }
}
