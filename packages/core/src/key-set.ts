import { keyMaterialProblem } from './key-material.js'

/** A public JWK as published in a key set; only the members we read are typed. */
export interface PublicJwk {
  readonly kty?: unknown
  readonly kid?: unknown
  readonly alg?: unknown
  readonly use?: unknown
  readonly key_ops?: unknown
  readonly crv?: unknown
  readonly n?: unknown
  readonly [member: string]: unknown
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const
const CURVE_BY_ALG: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521', EdDSA: 'Ed25519' }

export function hasPrivateMaterial(jwk: PublicJwk): boolean {
  return PRIVATE_MEMBERS.some((member) => member in jwk)
}

/**
 * Why a member can never verify anything, or null when it may (for some algorithm): contract/checks.json
 * `keyUsability` (member rules, then the key material rules of key-material.ts). The reason is logged with
 * the kid, so it must not contain key material.
 */
export function unusableReason(jwk: PublicJwk): string | null {
  if (!reasons.has(jwk)) reasons.set(jwk, firstUnusableReason(jwk))
  return reasons.get(jwk) ?? null
}

/** Members are checked once: the key material rules import the key, and per-kid keys are rechecked per request. */
const reasons = new WeakMap<PublicJwk, string | null>()

function firstUnusableReason(jwk: PublicJwk): string | null {
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return 'kid is not a string'
  if (jwk.kty === 'oct') return 'symmetric (oct) keys are never used'
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return 'unsupported kty'
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'use is not sig'
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return 'key_ops lacks verify'
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') return 'alg is not a string'
  const materialProblem = keyMaterialProblem(jwk)
  if (materialProblem !== null) return materialProblem
  if (typeof jwk.alg === 'string' && !fitsAlgorithm(jwk, jwk.alg)) return 'alg does not fit the key type'
  return null
}

/** Whether a (generally usable) member fits the token's `alg`: kty, curve and the member's own alg. */
export function fitsAlgorithm(jwk: PublicJwk, alg: string): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false
  if (/^(RS|PS)(256|384|512)$/.test(alg)) return jwk.kty === 'RSA'
  const curve = CURVE_BY_ALG[alg]
  if (curve === undefined) return false
  return (alg === 'EdDSA' ? jwk.kty === 'OKP' : jwk.kty === 'EC') && jwk.crv === curve
}
