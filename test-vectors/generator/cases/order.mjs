import { fail, token } from '../lib/dsl.mjs'
import { editSegment } from '../lib/edits.mjs'

const EXPIRED = { exp: 1_699_990_000, iat: 1_699_980_000, nbf: 1_699_980_000 }

/**
 * @param {string} slug @param {string} description @param {string} code
 * @param {Partial<import('../lib/dsl.mjs').VectorSpec>} rest
 */
const first = (slug, description, code, rest) => ({ slug, description, expect: fail(code), ...rest })

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  const broken500 = { response: { status: 500, body: 'down', contentType: 'text/plain' } }
  return {
    description:
      'Assertions and requests with several faults: the first failing stage of contract/checks.json decides the code (peer_address, required_headers, header_extraction, size, syntax, header_policy, key_lookup, signature, claim_types, claim_presence, claim_time, claim_values, user_policy). Within a stage, its rules are applied in the order listed.',
    vectors: [
      first('peer-before-required-header', 'Untrusted peer and a missing required header.', 'untrusted_source', {
        config: { TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8', TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy-Verified' },
        request: { headers: [['X-Test-Assertion', 'garbage']], remoteAddress: '192.168.1.1' },
      }),
      first('required-header-before-extraction', 'A missing required header and the assertion header sent twice.', 'missing_required_header', {
        config: { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy-Verified' },
        request: { headers: [['X-Test-Assertion', token()], ['X-Test-Assertion', token()]] },
      }),
      first('required-header-before-missing-assertion', 'A missing required header and no assertion.', 'missing_required_header', {
        config: { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy-Verified' },
        request: { headers: [['Accept', '*/*']] },
      }),
      first('extraction-before-size', 'The header sent twice, each copy too large.', 'malformed_assertion', {
        config: { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '256' },
        request: { headers: [['X-Test-Assertion', token()], ['X-Test-Assertion', token()]] },
      }),
      first('size-before-syntax', 'Too large and padded base64.', 'assertion_too_large', {
        config: { TRUSTED_PROXY_MAX_ASSERTION_BYTES: '256' },
        token: token({ edit: (t) => `${t}==` }),
      }),
      first('syntax-before-header-policy', 'A duplicate header member and alg none.', 'malformed_assertion', {
        token: token({ headerJson: '{"alg":"none","alg":"none"}' }),
      }),
      first('syntax-before-key-lookup-when-keys-down', 'The key endpoint is down and the token has padding: syntax fails first.', 'malformed_assertion', {
        jwks: broken500,
        token: token({ edit: editSegment(2, (s) => `${s}==`) }),
      }),
      first('header-policy-before-key-lookup-when-keys-down', 'The key endpoint is down and alg is none.', 'unsupported_algorithm', {
        jwks: broken500,
        token: token({ alg: 'none', signAlg: 'RS256' }),
      }),
      first('crit-before-key-lookup-when-keys-down', 'The key endpoint is down and the header has crit.', 'malformed_assertion', {
        jwks: broken500,
        token: token({ header: { crit: ['x-ext'], 'x-ext': 1 } }),
      }),
      first('alg-rule-before-crit-rule', 'alg none and a crit member: the alg rule is listed first in header_policy.', 'unsupported_algorithm', {
        token: token({ alg: 'none', signAlg: 'RS256', header: { crit: ['x-ext'], 'x-ext': 1 } }),
      }),
      first('missing-alg-before-kid-type', 'No alg and a numeric kid: the alg rule is listed first.', 'malformed_assertion', {
        token: token({ header: { alg: undefined, kid: 7 } }),
      }),
      first('unsupported-alg-before-unknown-kid', 'alg HS256 and a kid nobody publishes.', 'unsupported_algorithm', {
        token: token({ alg: 'HS256', kid: 'nobody', hmacSecret: 'secret' }),
      }),
      first('keys-down-before-signature-and-claims', 'The key endpoint is down; the token is also expired and signed by an attacker.', 'jwks_unavailable', {
        jwks: broken500,
        token: token({ key: 'test-attacker-rsa', kid: 'test-rsa-a', claims: EXPIRED }),
      }),
      first('private-key-set-before-claims', 'The key set publishes private material; the token is also expired.', 'jwks_unavailable', {
        jwks: { keys: [context.privateMember('test-rsa-a')] },
        token: token({ claims: EXPIRED }),
      }),
      first('unknown-key-before-claims', 'An unknown kid and an expired, issuer-mismatched token.', 'unknown_key', {
        token: token({ key: 'test-rsa-b', claims: { ...EXPIRED, iss: 'https://evil.example' } }),
      }),
      first('signature-before-claim-types', 'A forged signature and exp as a string.', 'invalid_signature', {
        token: token({ key: 'test-attacker-rsa', kid: 'test-rsa-a', claims: { exp: '1700000300' } }),
      }),
      first('signature-before-missing-claims', 'A forged signature over an empty payload.', 'invalid_signature', {
        token: token({ key: 'test-attacker-rsa', kid: 'test-rsa-a', payloadJson: '{}' }),
      }),
      first('signature-before-issuer', 'A forged signature and a wrong issuer.', 'invalid_signature', {
        token: token({ key: 'test-attacker-rsa', kid: 'test-rsa-a', claims: { iss: 'https://evil.example' } }),
      }),
      first('claim-types-before-presence', 'exp is a string and sub is missing.', 'malformed_assertion', {
        token: token({ claims: { exp: '1700000300', sub: undefined } }),
      }),
      first('claim-types-before-issuer', 'aud is a number and iss is wrong.', 'malformed_assertion', {
        token: token({ claims: { aud: 7, iss: 'https://evil.example' } }),
      }),
      first('presence-before-time', 'No aud and expired.', 'missing_claim', {
        token: token({ claims: { ...EXPIRED, aud: undefined } }),
      }),
      first('presence-before-audience', 'A required claim is missing and the audience is wrong.', 'missing_claim', {
        config: { TRUSTED_PROXY_REQUIRED_CLAIMS: 'tenant' },
        token: token({ claims: { aud: 'other-app' } }),
      }),
      first('time-before-issuer', 'Expired and a wrong issuer.', 'expired', {
        token: token({ claims: { ...EXPIRED, iss: 'https://evil.example' } }),
      }),
      first('not-yet-valid-before-audience', 'nbf in the future and a wrong audience.', 'not_yet_valid', {
        token: token({ claims: { nbf: 1_700_000_500, exp: 1_700_001_000, aud: 'other-app' } }),
      }),
      first('issuer-before-audience', 'Wrong issuer and wrong audience: the issuer rule is listed first.', 'issuer_mismatch', {
        token: token({ claims: { iss: 'https://evil.example', aud: 'other-app' } }),
      }),
      first('audience-before-claim-value', 'Wrong audience and a required claim with the wrong value.', 'audience_mismatch', {
        config: { TRUSTED_PROXY_REQUIRED_CLAIMS: 'tenant=acme' },
        token: token({ claims: { aud: 'other-app', tenant: 'other' } }),
      }),
      first('issuer-before-user-policy', 'Wrong issuer and a user not allowed.', 'issuer_mismatch', {
        config: { TRUSTED_PROXY_ALLOWED_USERS: 'bob' },
        token: token({ claims: { iss: 'https://evil.example' } }),
      }),
      first('claim-value-before-user-policy', 'A required claim mismatches and the user is not allowed.', 'claim_mismatch', {
        config: { TRUSTED_PROXY_REQUIRED_CLAIMS: 'tenant=acme', TRUSTED_PROXY_ALLOWED_GROUPS: 'admins' },
        token: token({ claims: { tenant: 'other' } }),
      }),
      first('time-before-user-policy', 'Expired and the user not allowed.', 'expired', {
        config: { TRUSTED_PROXY_ALLOWED_USERS: 'bob' },
        token: token({ claims: EXPIRED }),
      }),
    ],
  }
}
