import { fail, ok, token } from '../lib/dsl.mjs'

/** @param {string} name */
const missing = (name) => fail('missing_claim', `claim "${name}" is absent`)
/** @param {string} name @param {string} value */
const mismatch = (name, value) => fail('claim_mismatch', `claim "${name}" does not equal or contain "${value}"`)

/** @param {string} slug @param {string} description @param {string} rules @param {Record<string, unknown>} changes @param {import('../lib/dsl.mjs').Expectation} expect */
const rule = (slug, description, rules, changes, expect) => ({
  slug,
  description,
  config: { TRUSTED_PROXY_REQUIRED_CLAIMS: rules },
  token: token({ claims: changes }),
  expect,
})

export default () => ({
  description:
    'TRUSTED_PROXY_REQUIRED_CLAIMS: `name` requires presence (stage claim_presence, missing_claim); `name=value` also requires the claim to equal the string value or be an array containing it (stage claim_values, claim_mismatch).',
  vectors: [
    rule('presence-present', 'Rule "tenant" and a tenant claim.', 'tenant', { tenant: 'acme' }, ok()),
    rule('presence-absent', 'Rule "tenant" and no tenant claim.', 'tenant', {}, missing('tenant')),
    rule('presence-empty-string', 'Rule "tenant" and tenant "": present.', 'tenant', { tenant: '' }, ok()),
    rule('presence-false', 'Rule "email_verified" and email_verified false: present (presence only, no value).', 'email_verified', { email_verified: false }, ok()),
    rule('value-equal', 'Rule "tenant=acme" and tenant "acme".', 'tenant=acme', { tenant: 'acme' }, ok()),
    rule('value-different', 'Rule "tenant=acme" and tenant "other".', 'tenant=acme', { tenant: 'other' }, mismatch('tenant', 'acme')),
    rule('value-absent', 'Rule "tenant=acme" and no tenant: missing, not mismatch.', 'tenant=acme', {}, missing('tenant')),
    rule('value-case-differs', 'Rule "tenant=acme" and tenant "Acme".', 'tenant=acme', { tenant: 'Acme' }, mismatch('tenant', 'acme')),
    rule('value-trailing-space', 'Rule "tenant=acme" and tenant "acme ".', 'tenant=acme', { tenant: 'acme ' }, mismatch('tenant', 'acme')),
    rule('value-array-contains', 'Rule "tenant=acme" and tenant ["x","acme"].', 'tenant=acme', { tenant: ['x', 'acme'] }, ok()),
    rule('value-array-lacks', 'Rule "tenant=acme" and tenant ["x","y"].', 'tenant=acme', { tenant: ['x', 'y'] }, mismatch('tenant', 'acme')),
    rule('value-nested-array', 'Rule "tenant=acme" and tenant [["acme"]]: only strings directly in the array match.', 'tenant=acme', { tenant: [['acme']] }, mismatch('tenant', 'acme')),
    rule('value-object', 'Rule "tenant=acme" and tenant {"acme":true}.', 'tenant=acme', { tenant: { acme: true } }, mismatch('tenant', 'acme')),
    rule('value-number-never-matches', 'Rule "level=2" and level 2 (a number): only strings match.', 'level=2', { level: 2 }, mismatch('level', '2')),
    rule('value-numeric-string', 'Rule "level=2" and level "2".', 'level=2', { level: '2' }, ok()),
    rule('value-boolean-never-matches', 'Rule "email_verified=true" and email_verified true (a boolean): only strings match.', 'email_verified=true', { email_verified: true }, mismatch('email_verified', 'true')),
    rule('value-containing-equals', 'Rule "scope=a=b": the name ends at the first "=", the value is "a=b".', 'scope=a=b', { scope: 'a=b' }, ok()),
    rule('value-on-groups', 'Rule "groups=staff" with groups ["staff"].', 'groups=staff', {}, ok()),
    rule('several-rules-pass', 'Rules " tenant=acme , department " (list items trimmed): both satisfied.', ' tenant=acme , department ', { tenant: 'acme', department: 'eng' }, ok()),
    rule('several-rules-one-missing', 'Rules "tenant=acme,department": department missing.', 'tenant=acme,department', { tenant: 'acme' }, missing('department')),
    rule('several-rules-second-mismatch', 'Rules "tenant=acme,department=eng": department "ops".', 'tenant=acme,department=eng', { tenant: 'acme', department: 'ops' }, mismatch('department', 'eng')),
    rule(
      'missing-beats-mismatch',
      'Rules "tenant=acme,department": tenant mismatches and department is missing; presence is checked first.',
      'tenant=acme,department',
      { tenant: 'other' },
      missing('department'),
    ),
    rule('prototype-name-proto', 'Rule "__proto__" with no such own claim: missing (never the inherited prototype).', '__proto__', {}, missing('__proto__')),
    rule('prototype-name-tostring', 'Rule "toString" with no such own claim: missing.', 'toString', {}, missing('toString')),
    rule('prototype-name-constructor-value', 'Rule "constructor=Object" with no such own claim: missing.', 'constructor=Object', {}, missing('constructor')),
  ],
})
