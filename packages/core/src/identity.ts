import type { CheckedClaims } from './claims.js'
import type { TrustedProxyAuthConfig } from './config.js'
import { deepFreeze } from './deep-freeze.js'
import { emailVerifiedFrom } from './quirks/email-verified-string.js'

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

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key)

export function claimValue(payload: Record<string, unknown>, name: string): unknown {
  // Read first: an absent claim (most optional ones) then costs no own-property call, which V8 does not inline
  // here; a value found is kept only when it is the object's own (never one inherited from a prototype).
  const value = payload[name]
  return value !== undefined && hasOwn(payload, name) ? value : undefined
}

export function asStringArray(value: unknown): string[] {
  if (value === undefined) return []
  return typeof value === 'string' ? [value] : [...(value as string[])]
}

const NO_GROUPS: readonly string[] = Object.freeze([])

/**
 * Maps verified claims to the identity (checks.json `identityMapping`); claim types were checked before.
 * Subject, issuer, audience and expiry come from the checks, which apply the preset's quirks.
 */
export function mapIdentity(payload: Record<string, unknown>, checked: CheckedClaims, config: TrustedProxyAuthConfig, emailVerifiedString: boolean): TrustedIdentity {
  const email = claimValue(payload, config.claimEmail)
  const name = claimValue(payload, config.claimName)
  const iat = claimValue(payload, 'iat')
  // Deeply frozen, as Python's read-only view: a remembered identity is shared by every later cache hit of its
  // assertion, and a hit's time checks read nbf and iat from these claims.
  const claims = deepFreeze(payload)
  const groups = claimValue(claims, config.claimGroups)
  return Object.freeze({
    subject: checked.subject,
    email: typeof email === 'string' ? email : null,
    emailVerified: emailVerifiedFrom(claimValue(payload, 'email_verified'), emailVerifiedString),
    name: typeof name === 'string' ? name : null,
    // An array claim is the frozen claims' own array (no copy to freeze again); claim types were checked before.
    groups: groups === undefined ? NO_GROUPS : typeof groups === 'string' ? Object.freeze([groups]) : (groups as readonly string[]),
    issuer: checked.issuer,
    // Frozen by the checks (a configured audience's array is shared).
    audience: checked.audience,
    issuedAt: typeof iat === 'number' ? iat : null,
    expiresAt: checked.expiresAt,
    claims,
  })
}
