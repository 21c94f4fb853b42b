import { fail, ok, token } from '../lib/dsl.mjs'


/** @param {string} slug @param {string} description @param {Record<string, string>} config @param {Record<string, unknown>} changes @param {import('../lib/dsl.mjs').Expectation} expect */
const policy = (slug, description, config, changes, expect) => ({ slug, description, config, token: token({ claims: changes }), expect })

export default () => ({
  description:
    'TRUSTED_PROXY_ALLOWED_USERS / TRUSTED_PROXY_ALLOWED_GROUPS (stage user_policy): when either is set, the subject or email must be an allowed user, or a group an allowed group (exact strings); otherwise forbidden_user (403).',
  vectors: [
    policy('user-by-subject', 'The subject is an allowed user.', { TRUSTED_PROXY_ALLOWED_USERS: 'user-123' }, {}, ok()),
    policy('user-by-email', 'The email is an allowed user.', { TRUSTED_PROXY_ALLOWED_USERS: 'alice@example.com' }, {}, ok()),
    policy('user-by-email-unverified', 'An email the token itself marks unverified (email_verified false) does not match the allow-list.', { TRUSTED_PROXY_ALLOWED_USERS: 'alice@example.com' }, { email_verified: false }, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('user-by-subject-email-unverified', 'The subject still matches when the email is marked unverified.', { TRUSTED_PROXY_ALLOWED_USERS: 'user-123' }, { email_verified: false }, ok({ emailVerified: false })),
    policy('user-not-listed', 'Neither subject nor email is listed.', { TRUSTED_PROXY_ALLOWED_USERS: 'bob,carol@example.com' }, {}, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('user-email-case-differs', '"Alice@example.com" is not "alice@example.com".', { TRUSTED_PROXY_ALLOWED_USERS: 'Alice@example.com' }, {}, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('user-subject-case-differs', '"USER-123" is not "user-123".', { TRUSTED_PROXY_ALLOWED_USERS: 'USER-123' }, {}, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('user-list-trimmed', 'List items are trimmed: " bob , user-123 ".', { TRUSTED_PROXY_ALLOWED_USERS: ' bob , user-123 ' }, {}, ok()),
    policy('user-email-absent', 'Only the email is listed and the token has no email.', { TRUSTED_PROXY_ALLOWED_USERS: 'alice@example.com' }, { email: undefined }, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('user-custom-subject', 'With TRUSTED_PROXY_CLAIM_SUBJECT=uid the mapped subject is what is compared.', { TRUSTED_PROXY_ALLOWED_USERS: 'u-42', TRUSTED_PROXY_CLAIM_SUBJECT: 'uid' }, { uid: 'u-42' }, ok({ subject: 'u-42' })),
    policy('user-raw-sub-not-mapped', 'With TRUSTED_PROXY_CLAIM_SUBJECT=uid the raw sub no longer counts.', { TRUSTED_PROXY_ALLOWED_USERS: 'user-123', TRUSTED_PROXY_CLAIM_SUBJECT: 'uid' }, { uid: 'u-42' }, fail('forbidden_user', 'subject "u-42" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('group-allowed', 'A group of the token is allowed.', { TRUSTED_PROXY_ALLOWED_GROUPS: 'staff' }, {}, ok()),
    policy('group-not-allowed', 'No group of the token is allowed.', { TRUSTED_PROXY_ALLOWED_GROUPS: 'admins' }, {}, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('group-string-claim', 'groups "admins" (a string) counts as the group admins.', { TRUSTED_PROXY_ALLOWED_GROUPS: 'admins' }, { groups: 'admins' }, ok()),
    policy('group-claim-absent', 'No groups claim and only groups are allowed.', { TRUSTED_PROXY_ALLOWED_GROUPS: 'staff' }, { groups: undefined }, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('group-case-differs', '"Staff" is not "staff".', { TRUSTED_PROXY_ALLOWED_GROUPS: 'Staff' }, {}, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('group-custom-claim', 'With TRUSTED_PROXY_CLAIM_GROUPS=roles the roles claim is compared.', { TRUSTED_PROXY_ALLOWED_GROUPS: 'admins', TRUSTED_PROXY_CLAIM_GROUPS: 'roles' }, { roles: ['admins'] }, ok()),
    policy('users-and-groups-group-matches', 'Both lists set; the user is not listed but a group is.', { TRUSTED_PROXY_ALLOWED_USERS: 'bob', TRUSTED_PROXY_ALLOWED_GROUPS: 'staff' }, {}, ok()),
    policy('users-and-groups-user-matches', 'Both lists set; the group is not listed but the user is.', { TRUSTED_PROXY_ALLOWED_USERS: 'user-123', TRUSTED_PROXY_ALLOWED_GROUPS: 'admins' }, {}, ok()),
    policy('users-and-groups-neither', 'Both lists set; neither matches.', { TRUSTED_PROXY_ALLOWED_USERS: 'bob', TRUSTED_PROXY_ALLOWED_GROUPS: 'admins' }, {}, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
    policy('group-name-is-not-a-user', 'A group named like the subject does not make the user allowed through ALLOWED_USERS.', { TRUSTED_PROXY_ALLOWED_USERS: 'staff' }, {}, fail('forbidden_user', 'subject "user-123" is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS')),
  ],
})
