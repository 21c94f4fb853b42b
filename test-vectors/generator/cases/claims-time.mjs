import { fail, NOW, ok, token } from '../lib/dsl.mjs'

const expired = fail('expired')
const notYetValid = fail('not_yet_valid')

/**
 * A token with these time claims (nbf and iat default to well before exp so only the claim under test matters).
 * @param {string} slug @param {string} description @param {Record<string, unknown>} changes
 * @param {import('../lib/dsl.mjs').Expectation} expect @param {Record<string, string>} [config]
 */
const at = (slug, description, changes, expect, config = {}) => ({
  slug,
  description,
  config,
  token: token({ claims: { iat: NOW - 1000, nbf: NOW - 1000, ...changes } }),
  expect,
})

export default () => ({
  description: `Time checks (stage claim_time) at now = ${NOW}, default tolerance 60 s unless the vector sets TRUSTED_PROXY_CLOCK_TOLERANCE: expired when exp <= now - tolerance, not_yet_valid when nbf or iat > now + tolerance, expired when now - iat > maxAge + tolerance.`,
  vectors: [
    at('exp-at-now', 'exp = now is still inside the tolerance.', { exp: NOW }, ok()),
    at('exp-tolerance-minus-one', 'exp = now - 59: one second before the boundary, accepted.', { exp: NOW - 59 }, ok()),
    at('exp-at-tolerance', 'exp = now - 60 = now - tolerance: expired (the boundary is inclusive).', { exp: NOW - 60 }, expired),
    at('exp-tolerance-plus-one', 'exp = now - 61: expired.', { exp: NOW - 61 }, fail('expired', 'exp 1699999939 is not after now 1700000000 - tolerance 60 s')),
    at('exp-fraction-inside', 'exp = now - 59.5: accepted.', { exp: NOW - 59.5 }, ok()),
    at('exp-fraction-outside', 'exp = now - 60.5: expired.', { exp: NOW - 60.5 }, fail('expired', 'exp 1699999939.5 is not after now 1700000000 - tolerance 60 s')),
    at('exp-zero', 'exp = 0: expired.', { exp: 0 }, fail('expired', 'exp 0 is not after now 1700000000 - tolerance 60 s')),
    at('exp-negative', 'exp = -1: expired.', { exp: -1 }, fail('expired', 'exp -1 is not after now 1700000000 - tolerance 60 s')),
    at('exp-far-future', 'exp ten years ahead: accepted.', { exp: NOW + 315_360_000 }, ok()),
    at('nbf-at-tolerance', 'nbf = now + 60: accepted (not_yet_valid needs nbf > now + tolerance).', { nbf: NOW + 60, exp: NOW + 600 }, ok()),
    at('nbf-beyond-tolerance', 'nbf = now + 61: not yet valid.', { nbf: NOW + 61, exp: NOW + 600 }, fail('not_yet_valid', 'nbf 1700000061 is after now 1700000000 + tolerance 60 s')),
    at('nbf-fraction-beyond', 'nbf = now + 60.5: not yet valid.', { nbf: NOW + 60.5, exp: NOW + 600 }, fail('not_yet_valid', 'nbf 1700000060.5 is after now 1700000000 + tolerance 60 s')),
    at('nbf-fraction-inside', 'nbf = now + 59.5: accepted.', { nbf: NOW + 59.5, exp: NOW + 600 }, ok()),
    at('iat-at-tolerance', 'iat = now + 60: accepted.', { iat: NOW + 60, exp: NOW + 600 }, ok()),
    at('iat-beyond-tolerance', 'iat = now + 61: issued in the future, not yet valid.', { iat: NOW + 61, exp: NOW + 600 }, fail('not_yet_valid', 'iat 1700000061 is after now 1700000000 + tolerance 60 s')),
    at('tolerance-zero-exp-at-now', 'Tolerance 0: exp = now is expired.', { exp: NOW }, fail('expired', 'exp 1700000000 is not after now 1700000000 - tolerance 0 s'), { TRUSTED_PROXY_CLOCK_TOLERANCE: '0' }),
    at('tolerance-zero-exp-next-second', 'Tolerance 0: exp = now + 1 is accepted.', { exp: NOW + 1 }, ok(), { TRUSTED_PROXY_CLOCK_TOLERANCE: '0' }),
    at('tolerance-zero-nbf-at-now', 'Tolerance 0: nbf = now is accepted.', { nbf: NOW }, ok(), { TRUSTED_PROXY_CLOCK_TOLERANCE: '0' }),
    at('tolerance-zero-nbf-next-second', 'Tolerance 0: nbf = now + 1 is not yet valid.', { nbf: NOW + 1 }, fail('not_yet_valid', 'nbf 1700000001 is after now 1700000000 + tolerance 0 s'), { TRUSTED_PROXY_CLOCK_TOLERANCE: '0' }),
    at('tolerance-zero-iat-next-second', 'Tolerance 0: iat = now + 1 is not yet valid.', { iat: NOW + 1 }, fail('not_yet_valid', 'iat 1700000001 is after now 1700000000 + tolerance 0 s'), { TRUSTED_PROXY_CLOCK_TOLERANCE: '0' }),
    at('tolerance-30-exp-inside', 'Tolerance 30: exp = now - 29 is accepted.', { exp: NOW - 29 }, ok(), { TRUSTED_PROXY_CLOCK_TOLERANCE: '30' }),
    at('tolerance-30-exp-at-boundary', 'Tolerance 30: exp = now - 30 is expired.', { exp: NOW - 30 }, fail('expired', 'exp 1699999970 is not after now 1700000000 - tolerance 30 s'), { TRUSTED_PROXY_CLOCK_TOLERANCE: '30' }),
    at('tolerance-600-exp-inside', 'Tolerance 600 (the maximum): exp = now - 599 is accepted.', { exp: NOW - 599 }, ok(), { TRUSTED_PROXY_CLOCK_TOLERANCE: '600' }),
    at('tolerance-600-exp-at-boundary', 'Tolerance 600: exp = now - 600 is expired.', { exp: NOW - 600 }, fail('expired', 'exp 1699999400 is not after now 1700000000 - tolerance 600 s'), { TRUSTED_PROXY_CLOCK_TOLERANCE: '600' }),
    at('tolerance-600-nbf-beyond', 'Tolerance 600: nbf = now + 601 is not yet valid.', { nbf: NOW + 601, exp: NOW + 1200 }, fail('not_yet_valid', 'nbf 1700000601 is after now 1700000000 + tolerance 600 s'), { TRUSTED_PROXY_CLOCK_TOLERANCE: '600' }),
    at('max-age-at-boundary', 'Max age 300, tolerance 60: iat = now - 360 is exactly maxAge + tolerance old, accepted.', { iat: NOW - 360, exp: NOW + 300 }, ok(), { TRUSTED_PROXY_MAX_AGE: '300' }),
    at('max-age-beyond', 'Max age 300, tolerance 60: iat = now - 361 is too old: expired.', { iat: NOW - 361, exp: NOW + 300 }, fail('expired', 'iat 1699999639 is older than max age 300 s + tolerance 60 s at now 1700000000'), { TRUSTED_PROXY_MAX_AGE: '300' }),
    at('max-age-fraction-beyond', 'Max age 300, tolerance 60: iat = now - 360.5 is too old.', { iat: NOW - 360.5, exp: NOW + 300 }, fail('expired', 'iat 1699999639.5 is older than max age 300 s + tolerance 60 s at now 1700000000'), { TRUSTED_PROXY_MAX_AGE: '300' }),
    at('max-age-fresh', 'Max age 300: iat = now is accepted.', { iat: NOW, exp: NOW + 300 }, ok(), { TRUSTED_PROXY_MAX_AGE: '300' }),
    at('max-age-iat-missing', 'Max age 300 makes iat required: missing.', { iat: undefined }, fail('missing_claim', 'claim "iat" is absent'), { TRUSTED_PROXY_MAX_AGE: '300' }),
    at('max-age-tolerance-zero-boundary', 'Max age 300, tolerance 0: iat = now - 300 is accepted.', { iat: NOW - 300, exp: NOW + 300 }, ok(), {
      TRUSTED_PROXY_MAX_AGE: '300',
      TRUSTED_PROXY_CLOCK_TOLERANCE: '0',
    }),
    at('max-age-tolerance-zero-beyond', 'Max age 300, tolerance 0: iat = now - 301 is expired.', { iat: NOW - 301, exp: NOW + 300 }, fail('expired', 'iat 1699999699 is older than max age 300 s + tolerance 0 s at now 1700000000'), {
      TRUSTED_PROXY_MAX_AGE: '300',
      TRUSTED_PROXY_CLOCK_TOLERANCE: '0',
    }),
    {
      slug: 'later-now',
      description: 'The same valid assertion checked at a later now (2027) is expired: the given now is what counts.',
      now: 1_800_000_000,
      token: token(),
      expect: expired,
    },
    {
      slug: 'earlier-now',
      description: 'The same valid assertion checked long before its nbf is not yet valid.',
      now: 1_600_000_000,
      token: token(),
      expect: notYetValid,
    },
  ],
})
