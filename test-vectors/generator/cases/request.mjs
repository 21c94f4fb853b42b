import { fail, join, none, ok, token } from '../lib/dsl.mjs'

const malformed = fail('malformed_assertion')
const OTHER = /** @type {[string, string]} */ (['Accept', 'application/json'])
const OPTIONAL = { TRUSTED_PROXY_MODE: 'optional' }
const AUTHORIZATION = { TRUSTED_PROXY_ASSERTION_HEADER: 'Authorization' }

/**
 * @param {string} slug @param {string} description @param {Array<[string, import('../lib/dsl.mjs').Value]>} headers
 * @param {import('../lib/dsl.mjs').Expectation} expect @param {Record<string, string>} [config]
 */
const request = (slug, description, headers, expect, config = {}) => ({ slug, description, config, request: { headers }, expect })

export default () => ({
  description:
    'Requests (verifyRequest; CLI --header): the assertion header is matched case-insensitively, must be sent exactly once without commas, Authorization accepts a Bearer scheme, mode optional lets requests without an assertion through as null, and required headers are checked first.',
  vectors: [
    request('header-exact-name', 'The assertion in X-Test-Assertion.', [OTHER, ['X-Test-Assertion', token()]], ok()),
    request('header-lowercase-name', 'The header name in lower case.', [['x-test-assertion', token()]], ok()),
    request('header-uppercase-name', 'The header name in upper case.', [['X-TEST-ASSERTION', token()]], ok()),
    request('header-absent', 'No assertion header.', [OTHER], fail('missing_assertion', 'header "X-Test-Assertion" is absent or empty')),
    request('header-empty', 'The assertion header with an empty value.', [['X-Test-Assertion', '']], fail('missing_assertion', 'header "X-Test-Assertion" is absent or empty')),
    request('header-twice', 'The assertion header twice with the same token: refused, never first or last wins.', [['X-Test-Assertion', token()], ['X-Test-Assertion', token()]], fail('malformed_assertion', 'header "X-Test-Assertion" was sent 2 times')),
    request('header-twice-different-case', 'The header twice under differently cased names.', [['X-Test-Assertion', token()], ['x-test-assertion', token({ key: 'test-attacker-rsa' })]], fail('malformed_assertion', 'header "X-Test-Assertion" was sent 2 times')),
    request('header-twice-second-empty', 'The header twice, the second empty: still more than once.', [['X-Test-Assertion', token()], ['X-Test-Assertion', '']], fail('malformed_assertion', 'header "X-Test-Assertion" was sent 2 times')),
    request('header-comma-joined', 'Two assertions comma-joined in one value (what Node does with duplicates).', [['X-Test-Assertion', join(token(), ', ', token({ key: 'test-attacker-rsa' }))]], fail('malformed_assertion', 'header "X-Test-Assertion" holds a comma-joined value')),
    request('header-comma-without-space', 'Two assertions joined by a bare comma.', [['X-Test-Assertion', join(token(), ',', token())]], fail('malformed_assertion', 'header "X-Test-Assertion" holds a comma-joined value')),
    request('header-underscore-alias', 'X_Test_Assertion is another header (CGI/WSGI alias), not ours.', [['X_Test_Assertion', token()]], fail('missing_assertion', 'header "X-Test-Assertion" is absent or empty')),
    request('header-dot-alias', 'X.Test.Assertion is another header.', [['X.Test.Assertion', token()]], fail('missing_assertion', 'header "X-Test-Assertion" is absent or empty')),
    request('header-longer-name', 'X-Test-Assertion-Extra is another header.', [['X-Test-Assertion-Extra', token()]], fail('missing_assertion', 'header "X-Test-Assertion" is absent or empty')),
    request('token-in-authorization-instead', 'The token arrives as Authorization: Bearer while X-Test-Assertion is configured.', [['Authorization', join('Bearer ', token())]], fail('missing_assertion', 'header "X-Test-Assertion" is absent or empty')),
    request('bearer-in-custom-header', 'A Bearer prefix is only removed for Authorization: in X-Test-Assertion it makes the value malformed.', [['X-Test-Assertion', join('Bearer ', token())]], fail('malformed_assertion', 'not a compact JWS (three base64url segments with a JSON object header and payload)')),
    request('forwarding-headers-ignored', 'X-Forwarded-For and unsigned identity headers change nothing.', [
      ['X-Forwarded-For', '10.0.0.1'],
      ['X-Forwarded-User', 'admin'],
      ['X-Forwarded-Email', 'admin@example.com'],
      ['X-Test-Assertion', token()],
    ], ok({ subject: 'user-123', email: 'alice@example.com' })),
    request('authorization-bearer', 'Authorization: Bearer <token>.', [['Authorization', join('Bearer ', token())]], ok(), AUTHORIZATION),
    request('authorization-bearer-lowercase', 'Authorization: bearer <token> (the scheme is case-insensitive).', [['authorization', join('bearer ', token())]], ok(), AUTHORIZATION),
    request('authorization-bearer-uppercase', 'Authorization: BEARER <token>.', [['Authorization', join('BEARER ', token())]], ok(), AUTHORIZATION),
    request('authorization-bearer-several-spaces', 'Authorization: Bearer followed by three spaces.', [['Authorization', join('Bearer   ', token())]], ok(), AUTHORIZATION),
    request('authorization-scheme-only', 'Authorization: Bearer with no token is a missing assertion.', [['Authorization', 'Bearer']], fail('missing_assertion', 'header "Authorization" is absent or empty'), AUTHORIZATION),
    request('authorization-no-space', 'Authorization: Bearer<token> without a space: the scheme is not removed, the value is malformed.', [['Authorization', join('Bearer', token())]], fail('malformed_assertion', 'not a compact JWS (three base64url segments with a JSON object header and payload)'), AUTHORIZATION),
    request('authorization-basic', 'Authorization: Basic credentials are not an assertion.', [['Authorization', 'Basic dXNlcjpwYXNzd29yZA']], fail('malformed_assertion', 'not a compact JWS (three base64url segments with a JSON object header and payload)'), AUTHORIZATION),
    request('authorization-twice', 'Two Authorization headers.', [['Authorization', join('Bearer ', token())], ['Authorization', join('Bearer ', token())]], fail('malformed_assertion', 'header "Authorization" was sent 2 times'), AUTHORIZATION),
    request('authorization-comma-joined', 'Authorization with two Bearer tokens comma-joined.', [['Authorization', join('Bearer ', token(), ', Bearer ', token())]], fail('malformed_assertion', 'header "Authorization" holds a comma-joined value'), AUTHORIZATION),
    request('optional-absent', 'Mode optional, no assertion header: identity null.', [OTHER], none(), OPTIONAL),
    request('optional-empty', 'Mode optional, an empty assertion header: identity null.', [['X-Test-Assertion', '']], none(), OPTIONAL),
    request('optional-valid', 'Mode optional with a valid assertion: the identity.', [['X-Test-Assertion', token()]], ok(), OPTIONAL),
    request('optional-expired', 'Mode optional still rejects a present, expired assertion.', [['X-Test-Assertion', token({ claims: { exp: 1_699_990_000, iat: 1_699_980_000, nbf: 1_699_980_000 } })]], fail('expired', 'exp 1699990000 is not after now 1700000000 - tolerance 60 s'), OPTIONAL),
    request('optional-malformed', 'Mode optional still rejects a present, malformed assertion.', [['X-Test-Assertion', 'not-a-jws']], malformed, OPTIONAL),
    request('optional-twice', 'Mode optional still rejects a header sent twice.', [['X-Test-Assertion', token()], ['X-Test-Assertion', token()]], fail('malformed_assertion', 'header "X-Test-Assertion" was sent 2 times'), OPTIONAL),
    request('optional-authorization-scheme-only', 'Mode optional, Authorization: Bearer alone counts as absent: identity null.', [['Authorization', 'Bearer']], none(), { ...OPTIONAL, ...AUTHORIZATION }),
    request('required-header-value-matches', 'X-Forwarded-Proto=https is required and sent.', [['X-Forwarded-Proto', 'https'], ['X-Test-Assertion', token()]], ok(), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Forwarded-Proto=https' }),
    request('required-header-name-case-insensitive', 'The required header name matches case-insensitively.', [['x-forwarded-proto', 'https'], ['X-Test-Assertion', token()]], ok(), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Forwarded-Proto=https' }),
    request('required-header-absent', 'The required header is absent.', [['X-Test-Assertion', token()]], fail('missing_required_header', 'header "X-Forwarded-Proto" is absent'), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Forwarded-Proto=https' }),
    request('required-header-other-value', 'The required header has another value.', [['X-Forwarded-Proto', 'http'], ['X-Test-Assertion', token()]], fail('missing_required_header', 'header "X-Forwarded-Proto" does not have the required value'), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Forwarded-Proto=https' }),
    request('required-header-value-case', 'The required value compares exactly: "HTTPS" is not "https".', [['X-Forwarded-Proto', 'HTTPS'], ['X-Test-Assertion', token()]], fail('missing_required_header', 'header "X-Forwarded-Proto" does not have the required value'), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Forwarded-Proto=https' }),
    request('required-header-twice', 'The required header sent twice, both correct: it must be present exactly once.', [['X-Forwarded-Proto', 'https'], ['X-Forwarded-Proto', 'https'], ['X-Test-Assertion', token()]], fail('missing_required_header', 'header "X-Forwarded-Proto" was sent 2 times'), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Forwarded-Proto=https' }),
    request('required-header-name-only-present', 'A name-only rule accepts any value.', [['X-Proxy-Verified', 'yes'], ['X-Test-Assertion', token()]], ok(), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy-Verified' }),
    request('required-header-name-only-absent', 'A name-only rule and the header is absent.', [['X-Test-Assertion', token()]], fail('missing_required_header', 'header "X-Proxy-Verified" is absent'), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy-Verified' }),
    request('required-headers-second-absent', 'Two rules; the second header is absent.', [['X-Forwarded-Proto', 'https'], ['X-Test-Assertion', token()]], fail('missing_required_header', 'header "X-Proxy-Verified" is absent'), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Forwarded-Proto=https,X-Proxy-Verified' }),
    request('required-header-value-with-equals', 'Rule "X-Proxy-Tag=a=b": the value is "a=b".', [['X-Proxy-Tag', 'a=b'], ['X-Test-Assertion', token()]], ok(), { TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy-Tag=a=b' }),
    request('required-header-before-optional-null', 'Mode optional without an assertion still needs the required header.', [OTHER], fail('missing_required_header', 'header "X-Proxy-Verified" is absent'), { ...OPTIONAL, TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy-Verified' }),
    request('forbidden-user-request', 'verifyRequest answers forbidden_user (403) like verifyAssertion.', [['X-Test-Assertion', token()]], fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS'), { TRUSTED_PROXY_ALLOWED_USERS: 'someone-else' }),
  ],
})
