import type { TrustedProxyAuthConfig } from './config.js'

/** The verified identity every adapter exposes (contract/identity.schema.json). */
export interface TrustedIdentity {
  /** The subject claim (default `sub`): the stable user id, scoped by `issuer`. */
  readonly subject: string
  /** The email claim exactly as signed (never case-folded or normalised), or null. */
  readonly email: string | null
  /** null when `email_verified` is absent; true only for the JSON boolean `true`. */
  readonly emailVerified: boolean | null
  readonly name: string | null
  readonly groups: readonly string[]
  readonly issuer: string
  readonly audience: readonly string[]
  /** `iat`, seconds since the epoch, or null. */
  readonly issuedAt: number | null
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number
  /** The whole verified payload. */
  readonly claims: Readonly<Record<string, unknown>>
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key)

export function claimValue(payload: Record<string, unknown>, name: string): unknown {
  return hasOwn(payload, name) ? payload[name] : undefined
}

export function asStringArray(value: unknown): string[] {
  if (value === undefined) return []
  return typeof value === 'string' ? [value] : [...(value as string[])]
}

/** Maps verified claims to the identity (checks.json `identityMapping`); claim types were checked before. */
export function mapIdentity(payload: Record<string, unknown>, config: TrustedProxyAuthConfig): TrustedIdentity {
  const emailVerified = claimValue(payload, 'email_verified')
  const email = claimValue(payload, config.claimEmail)
  const name = claimValue(payload, config.claimName)
  const iat = claimValue(payload, 'iat')
  return Object.freeze({
    subject: claimValue(payload, config.claimSubject) as string,
    email: typeof email === 'string' ? email : null,
    emailVerified: emailVerified === undefined ? null : emailVerified === true,
    name: typeof name === 'string' ? name : null,
    groups: Object.freeze(asStringArray(claimValue(payload, config.claimGroups))),
    issuer: claimValue(payload, 'iss') as string,
    audience: Object.freeze(asStringArray(claimValue(payload, 'aud'))),
    issuedAt: typeof iat === 'number' ? iat : null,
    expiresAt: claimValue(payload, 'exp') as number,
    claims: payload,
  })
}
