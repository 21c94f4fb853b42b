import { claims, fail, NOW, ok, token } from '../lib/dsl.mjs'
import { jsonReplacing } from '../lib/edits.mjs'

const malformed = fail('malformed_assertion')
const missing = fail('missing_claim')

/** @param {string} slug @param {string} description @param {Record<string, unknown>} changes */
const withClaims = (slug, description, changes, expect = malformed, config = {}) => ({ slug, description, config, token: token({ claims: changes }), expect })

export default () => ({
  description:
    'Claim types (stage claim_types: exp/nbf/iat finite numbers, iss and the subject strings, aud string or strings, email and name strings, groups string or strings) and presence (stage claim_presence: iss, aud, exp and a non-empty subject). Every token here is correctly signed.',
  vectors: [
    withClaims('exp-numeric-string', 'exp "1700000300" is a string, never coerced.', { exp: String(NOW + 300) }),
    withClaims('exp-padded-numeric-string', 'exp " 1700000300 " is a string.', { exp: ` ${NOW + 300} ` }),
    withClaims('exp-boolean', 'exp true.', { exp: true }),
    withClaims('exp-null', 'exp null (present, not a number).', { exp: null }),
    withClaims('exp-array', 'exp [1700000300].', { exp: [NOW + 300] }),
    withClaims('exp-object', 'exp {}.', { exp: {} }),
    {
      slug: 'exp-overflow-1e309',
      description: 'exp 1e309 overflows to infinity: not finite (otherwise it would never expire).',
      token: token({ payloadJson: jsonReplacing(claims(), `"exp":${NOW + 300}`, '"exp":1e309') }),
      expect: malformed,
    },
    withClaims('nbf-string', 'nbf as a numeric string.', { nbf: String(NOW - 10) }),
    withClaims('iat-string', 'iat as a numeric string.', { iat: String(NOW - 10) }),
    withClaims('iat-null', 'iat null.', { iat: null }),
    withClaims('iss-number', 'iss is a number.', { iss: 42 }),
    withClaims('iss-array', 'iss is an array holding the trusted issuer.', { iss: ['https://proxy.test.example'] }),
    withClaims('iss-object', 'iss is an object.', { iss: { url: 'https://proxy.test.example' } }),
    withClaims('sub-number', 'sub is a number.', { sub: 123 }),
    withClaims('sub-null', 'sub is null (present, not a string).', { sub: null }),
    withClaims('sub-boolean', 'sub is true.', { sub: true }),
    withClaims('aud-number', 'aud is a number.', { aud: 1 }),
    withClaims('aud-array-with-number', 'aud holds the right audience and a number.', { aud: ['app-under-test', 5] }),
    withClaims('aud-nested-array', 'aud is an array of arrays.', { aud: [['app-under-test']] }),
    withClaims('aud-object', 'aud is an object.', { aud: { 'app-under-test': true } }),
    withClaims('aud-null', 'aud is null.', { aud: null }),
    withClaims('email-number', 'email is a number.', { email: 42 }),
    withClaims('email-array', 'email is an array of strings.', { email: ['alice@example.com'] }),
    withClaims('name-object', 'name is an object.', { name: { first: 'Alice' } }),
    withClaims('groups-number', 'groups is a number.', { groups: 5 }),
    withClaims('groups-array-with-number', 'groups holds a string and a number.', { groups: ['staff', 1] }),
    withClaims('groups-object', 'groups is an object.', { groups: { staff: true } }),
    withClaims('groups-nested-array', 'groups is an array of arrays.', { groups: [['staff']] }),
    withClaims('groups-null', 'groups is null.', { groups: null }),
    withClaims('mapped-email-wrong-type', 'With TRUSTED_PROXY_CLAIM_EMAIL=mail, mail is a number.', { mail: 42 }, fail('malformed_assertion', 'claim "mail" is not a string'), { TRUSTED_PROXY_CLAIM_EMAIL: 'mail' }),
    withClaims(
      'unmapped-email-any-type',
      'With TRUSTED_PROXY_CLAIM_EMAIL=mail, the now unmapped email claim may have any type: accepted.',
      { email: 42, mail: 'alice@example.com' },
      ok({ email: 'alice@example.com' }),
      { TRUSTED_PROXY_CLAIM_EMAIL: 'mail' },
    ),
    withClaims(
      'unmapped-groups-any-type',
      'With TRUSTED_PROXY_CLAIM_GROUPS=roles, the unmapped groups claim may be a number: accepted.',
      { groups: 5, roles: ['admins'] },
      ok({ groups: ['admins'] }),
      { TRUSTED_PROXY_CLAIM_GROUPS: 'roles' },
    ),
    withClaims('mapped-subject-wrong-type', 'With TRUSTED_PROXY_CLAIM_SUBJECT=uid, uid is a number.', { uid: 7 }, fail('malformed_assertion', 'claim "uid" is not a string'), { TRUSTED_PROXY_CLAIM_SUBJECT: 'uid' }),
    withClaims('email-verified-any-type', 'email_verified has no type rule: "yes" is accepted and maps to false.', { email_verified: 'yes' }, ok({ emailVerified: false })),
    withClaims('exp-fractional', 'A fractional exp is a valid NumericDate: accepted.', { exp: NOW + 300.5 }, ok({ expiresAt: NOW + 300.5 })),
    withClaims('iat-fractional', 'A fractional iat is a valid NumericDate: accepted.', { iat: NOW - 10.25 }, ok({ issuedAt: NOW - 10.25 })),
    withClaims('exp-missing', 'No exp.', { exp: undefined }, fail('missing_claim', 'claim "exp" is absent')),
    withClaims('iss-missing', 'No iss.', { iss: undefined }, fail('missing_claim', 'claim "iss" is absent')),
    withClaims('aud-missing', 'No aud.', { aud: undefined }, fail('missing_claim', 'claim "aud" is absent')),
    withClaims('sub-missing', 'No sub.', { sub: undefined }, fail('missing_claim', 'claim "sub" is absent or empty')),
    withClaims('sub-empty', 'sub "" is a string but empty.', { sub: '' }, fail('missing_claim', 'claim "sub" is absent or empty')),
    withClaims('iat-missing-without-max-age', 'No iat and no maximum age: accepted, issuedAt null.', { iat: undefined }, ok({ issuedAt: null })),
    withClaims('nbf-missing', 'No nbf: accepted.', { nbf: undefined }, ok()),
    { slug: 'payload-empty-object', description: 'The payload {} has none of the required claims.', token: token({ payloadJson: '{}' }), expect: missing },
    withClaims(
      'mapped-subject-missing',
      'With TRUSTED_PROXY_CLAIM_SUBJECT=uid and no uid (sub present), the subject is missing.',
      {},
      missing,
      { TRUSTED_PROXY_CLAIM_SUBJECT: 'uid' },
    ),
    withClaims('mapped-subject-empty', 'With TRUSTED_PROXY_CLAIM_SUBJECT=uid, uid "" is missing.', { uid: '' }, fail('missing_claim', 'claim "uid" is absent or empty'), { TRUSTED_PROXY_CLAIM_SUBJECT: 'uid' }),
    withClaims(
      'mapped-subject-without-sub',
      'With TRUSTED_PROXY_CLAIM_SUBJECT=uid, sub is not required: accepted with subject = uid.',
      { sub: undefined, uid: 'u-42' },
      ok({ subject: 'u-42' }),
      { TRUSTED_PROXY_CLAIM_SUBJECT: 'uid' },
    ),
    withClaims(
      'mapped-subject-prototype-name',
      'With TRUSTED_PROXY_CLAIM_SUBJECT=constructor and no such own claim, the subject is missing (never an inherited property).',
      {},
      missing,
      { TRUSTED_PROXY_CLAIM_SUBJECT: 'constructor' },
    ),
  ],
})
