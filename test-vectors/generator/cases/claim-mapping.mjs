import { claims, ok, token } from '../lib/dsl.mjs'
import { jsonWithMembers } from '../lib/edits.mjs'

/** @param {string} slug @param {string} description @param {Record<string, unknown>} changes @param {Record<string, unknown>} check */
const mapped = (slug, description, changes, check, config = {}) => ({ slug, description, config, token: token({ claims: changes }), expect: ok(check) })

/** @param {string} slug @param {string} description @param {string} payloadJson @param {Record<string, unknown>} check */
const mappedRaw = (slug, description, payloadJson, check, config = {}) => ({ slug, description, config, token: token({ payloadJson }), expect: ok(check) })

const CUSTOM = {
  TRUSTED_PROXY_CLAIM_SUBJECT: 'uid',
  TRUSTED_PROXY_CLAIM_EMAIL: 'mail',
  TRUSTED_PROXY_CLAIM_NAME: 'preferred_username',
  TRUSTED_PROXY_CLAIM_GROUPS: 'roles',
}

export default () => ({
  description:
    'Identity mapping (contract/checks.json identityMapping): which claim feeds which field, groups and emailVerified normalisation, values copied byte for byte, and claims named like Object.prototype members treated as plain data.',
  vectors: [
    mapped('default-mapping', 'The default claim names map every field.', {}, {
      subject: 'user-123',
      email: 'alice@example.com',
      emailVerified: true,
      name: 'Alice Example',
      groups: ['staff'],
      issuer: 'https://proxy.test.example',
      audience: ['app-under-test'],
      issuedAt: 1_699_999_990,
      expiresAt: 1_700_000_300,
    }),
    mapped(
      'custom-claim-names',
      'Custom names for subject, email, name and groups; the default claims stay in claims but are not mapped.',
      { uid: 'u-42', mail: 'mallory@example.com', preferred_username: 'mallory', roles: ['admins', 'ops'] },
      { subject: 'u-42', email: 'mallory@example.com', name: 'mallory', groups: ['admins', 'ops'] },
      CUSTOM,
    ),
    mapped(
      'custom-claim-names-absent',
      'Custom email, name and groups claims that are absent map to null, null and [] even though the default claims exist.',
      { uid: 'u-42' },
      { email: null, name: null, groups: [] },
      CUSTOM,
    ),
    mapped('groups-string', 'groups "admins" becomes ["admins"].', { groups: 'admins' }, { groups: ['admins'] }),
    mapped('groups-array', 'groups ["admins","staff"] is kept in order.', { groups: ['admins', 'staff'] }, { groups: ['admins', 'staff'] }),
    mapped('groups-array-duplicates', 'groups with a repeated entry is kept as signed.', { groups: ['b', 'a', 'a'] }, { groups: ['b', 'a', 'a'] }),
    mapped('groups-empty-array', 'groups [] stays [].', { groups: [] }, { groups: [] }),
    mapped('groups-absent', 'No groups claim: groups is [].', { groups: undefined }, { groups: [] }),
    mapped('groups-empty-string', 'groups "" becomes [""] (a string is one group, copied as signed).', { groups: '' }, { groups: [''] }),
    mapped('email-verified-true', 'email_verified true.', { email_verified: true }, { emailVerified: true }),
    mapped('email-verified-false', 'email_verified false.', { email_verified: false }, { emailVerified: false }),
    mapped('email-verified-string-true', 'email_verified "true" (as AWS ALB sends it) is not the JSON boolean true: false.', { email_verified: 'true' }, { emailVerified: false }),
    mapped('email-verified-string-false', 'email_verified "false": false, never truthy.', { email_verified: 'false' }, { emailVerified: false }),
    mapped('email-verified-number', 'email_verified 1: false.', { email_verified: 1 }, { emailVerified: false }),
    mapped('email-verified-null', 'email_verified null is present, not true: false.', { email_verified: null }, { emailVerified: false }),
    mapped('email-verified-absent', 'No email_verified: null.', { email_verified: undefined }, { emailVerified: null }),
    mapped('email-absent', 'No email claim: null.', { email: undefined }, { email: null }),
    mapped('name-absent', 'No name claim: null.', { name: undefined }, { name: null }),
    mapped('email-empty-string', 'email "" is kept as "".', { email: '' }, { email: '' }),
    mapped('email-surrounding-spaces', 'Spaces around the email are kept (no trimming).', { email: '  alice@example.com ' }, { email: '  alice@example.com ' }),
    mapped('email-fullwidth-and-case', 'A fullwidth "Ａ" and an upper-case domain are kept byte-exact (no NFKC, no case folding).', { email: 'Ａlice@EXAMPLE.com' }, { email: 'Ａlice@EXAMPLE.com' }),
    mapped('email-dotless-i', 'A dotless "ı" (which upper-cases to "I") is kept.', { email: 'ıvan@example.com' }, { email: 'ıvan@example.com' }),
    mapped('email-decomposed', 'A decomposed "e" + combining acute accent is not normalised to "é".', { email: 'jose\u0301@example.com' }, { email: 'jose\u0301@example.com' }),
    mapped('email-sharp-s', 'A "ß" is not folded to "ss".', { email: 'straße@example.com' }, { email: 'straße@example.com' }),
    mapped('name-astral', 'A name with a character outside the BMP is kept.', { name: '🦊 Fox' }, { name: '🦊 Fox' }),
    mapped('subject-unicode', 'A subject with Cyrillic letters is kept.', { sub: 'пользователь-1' }, { subject: 'пользователь-1' }),
    mapped(
      'claims-whole-payload',
      'claims is the whole payload, including nested objects, nulls and booleans of claims nobody maps.',
      { tenant: { id: 'acme', tier: 2 }, flags: [true, false, null], note: null, amr: ['pwd', 'mfa'] },
      { claims: claims({ tenant: { id: 'acme', tier: 2 }, flags: [true, false, null], note: null, amr: ['pwd', 'mfa'] }) },
    ),
    mappedRaw(
      'proto-claim-is-data',
      'A "__proto__" claim is an ordinary member of claims and pollutes nothing.',
      jsonWithMembers(claims(), '"__proto__":{"isAdmin":true}'),
      {},
    ),
    mappedRaw(
      'constructor-claim-is-data',
      'A "constructor" claim with a prototype object is an ordinary member of claims.',
      jsonWithMembers(claims(), '"constructor":{"prototype":{"isAdmin":true}}'),
      {},
    ),
    mappedRaw('has-own-property-claim-is-data', 'A "hasOwnProperty" claim does not break the lookups.', jsonWithMembers(claims(), '"hasOwnProperty":"no"'), {}),
    mapped('name-claim-named-tostring-absent', 'TRUSTED_PROXY_CLAIM_NAME=toString with no such own claim: name null, never an inherited function.', {}, { name: null }, {
      TRUSTED_PROXY_CLAIM_NAME: 'toString',
    }),
    mapped('groups-claim-named-constructor-absent', 'TRUSTED_PROXY_CLAIM_GROUPS=constructor with no such own claim: groups [].', {}, { groups: [] }, {
      TRUSTED_PROXY_CLAIM_GROUPS: 'constructor',
    }),
    mapped('email-claim-named-proto-absent', 'TRUSTED_PROXY_CLAIM_EMAIL=__proto__ with no such own claim: email null.', {}, { email: null }, {
      TRUSTED_PROXY_CLAIM_EMAIL: '__proto__',
    }),
    mappedRaw(
      'email-claim-named-proto-present',
      'TRUSTED_PROXY_CLAIM_EMAIL=__proto__ with an own "__proto__" string claim: that string is the email.',
      jsonWithMembers(claims({ email: undefined }), '"__proto__":"proto@example.com"'),
      { email: 'proto@example.com' },
      { TRUSTED_PROXY_CLAIM_EMAIL: '__proto__' },
    ),
  ],
})
