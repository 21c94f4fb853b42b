import type { CheckedClaims } from './claims.js'
import { ownMember } from './claim-value.js'

/**
 * The verified identity every adapter exposes (contract/identity.schema.json).
 *
 * `Claims` types `claims` for the application's own claims, e.g. `TrustedIdentity<{ tenant: string }>`. It is
 * the application's statement about what its proxy signs, not a runtime check: the library verifies the
 * signature and the claims contract/checks.json names, nothing more. Require a claim per route with
 * `requireIdentity({ claims: ['tenant'] })` when the handler depends on it.
 */
export interface TrustedIdentity<Claims extends object = Record<string, unknown>> {
  /** The subject claim (default `sub`): the stable user id, scoped by `issuer`. */
  readonly subject: string
  /** The email claim exactly as signed (never case-folded or normalised), or null. */
  readonly email: string | null
  /** null when `email_verified` is absent; true only for the JSON boolean `true` (preset aws-alb: also the string "true"). */
  readonly emailVerified: boolean | null
  readonly name: string | null
  readonly groups: readonly string[]
  readonly issuer: string
  readonly audience: readonly string[]
  /** `iat`, seconds since the epoch, or null. */
  readonly issuedAt: number | null
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number
  /** The whole verified payload, deeply frozen; the members of `Claims` typed as the application declared them. */
  readonly claims: Readonly<Claims & Record<string, unknown>>
}

const NO_GROUPS: readonly string[] = Object.freeze([])

/**
 * Maps verified claims to the identity (checks.json `identityMapping`) from what the claim stages read and
 * checked (claims.ts), so no claim is read twice. `emailVerified`: a quirk's mapping of `email_verified`
 * (contract/presets.json emailVerifiedString); by default null when absent, true only for the JSON boolean true.
 * `payload`: deeply frozen already, as parseCompactJws gives it (its strict JSON walk freezes every object and
 * array in it): it becomes `claims` as it is, without a second walk or an `Object.isFrozen` test per verification.
 */
export function mapIdentity(payload: Readonly<Record<string, unknown>>, checked: CheckedClaims, emailVerified: ((value: unknown) => boolean | null) | null): TrustedIdentity {
  const verified = ownMember(payload, 'email_verified', payload['email_verified'])
  const groups = checked.groups
  return Object.freeze({
    subject: checked.subject,
    email: checked.email ?? null,
    emailVerified: emailVerified !== null ? emailVerified(verified) : verified === undefined ? null : verified === true,
    name: checked.name ?? null,
    // An array claim is the frozen claims' own array (no copy to freeze again); claim types were checked before.
    groups: groups === undefined ? NO_GROUPS : typeof groups === 'string' ? Object.freeze([groups]) : groups,
    issuer: checked.issuer,
    // Frozen by the checks (a configured audience's array is shared).
    audience: checked.audience,
    issuedAt: checked.issuedAt ?? null,
    expiresAt: checked.expiresAt,
    // Deeply frozen (by the parser), as Python's read-only view: a remembered identity is shared by every later
    // cache hit of its assertion, and a hit's time checks read nbf and iat from these claims.
    claims: payload,
  })
}
