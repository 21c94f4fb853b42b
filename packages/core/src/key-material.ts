import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { decodeCanonicalBase64url } from './compact-jws.js'
import { hasRocaFingerprint } from './roca-fingerprint.js'

/** RFC 8017 §3.1 asks n ≥ 2048 bits of us (NIST SP 800-131A); above 16384 bits OpenSSL refuses the key. */
export const MIN_RSA_BITS = 2048
export const MAX_RSA_BITS = 16384

/** Coordinate length in octets (RFC 7518 §6.2.1.2) and field prime of each supported curve (SEC 2 / FIPS 186-4 D.1.2). */
const CURVES: Readonly<Record<string, { readonly octets: number; readonly prime: bigint }>> = {
  'P-256': { octets: 32, prime: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n },
  'P-384': { octets: 48, prime: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n },
  'P-521': { octets: 66, prime: 2n ** 521n - 1n },
}
const ED25519_OCTETS = 32

function unsignedInteger(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes).toString('hex'))
}

/** Strict base64url (RFC 7515 §2): URL alphabet only, no padding or whitespace, canonical final bits. */
function member(jwk: Readonly<Record<string, unknown>>, name: string): Uint8Array | null {
  const value = jwk[name]
  return typeof value === 'string' ? decodeCanonicalBase64url(value) : null
}

/** The verdicts of node:crypto's import (the only rule decided by the crypto library, not here). */
const RSA_IMPORT_REFUSED = 'RSA key does not import'
const EC_IMPORT_REFUSED = 'EC point is not on the curve'
const OKP_IMPORT_REFUSED = 'OKP key does not import'

/** Whether node:crypto (OpenSSL) imports the public key; it refuses, for example, an EC point off its curve. */
function imports(jwk: JsonWebKey): boolean {
  try {
    createPublicKey({ key: jwk, format: 'jwk' })
    return true
  } catch {
    return false
  }
}

function rsaProblem(jwk: Readonly<Record<string, unknown>>): string | null {
  const nBytes = member(jwk, 'n')
  const eBytes = member(jwk, 'e')
  if (!nBytes || !eBytes) return 'RSA n or e is not strict base64url'
  // Base64urlUInt (RFC 7518 §2) asks producers for the minimal octets; a leading zero octet changes no
  // value, so it is tolerated and not counted.
  const n = unsignedInteger(nBytes)
  const e = unsignedInteger(eBytes)
  const bits = n.toString(2).length
  if (n === 0n || bits < MIN_RSA_BITS) return `RSA modulus under ${MIN_RSA_BITS} bits`
  if (bits > MAX_RSA_BITS) return `RSA modulus over ${MAX_RSA_BITS} bits`
  // RFC 8017 §3.1: 3 ≤ e ≤ n − 1, e odd. e = 1 makes every message its own signature.
  if (e < 3n || e % 2n === 0n || e >= n) return 'RSA exponent is not odd, at least 3 and below n'
  if (hasRocaFingerprint(n)) return 'RSA modulus has the ROCA fingerprint (CVE-2017-15361)'
  if (!imports({ kty: 'RSA', n: jwk['n'] as string, e: jwk['e'] as string })) return RSA_IMPORT_REFUSED
  return null
}

function ecProblem(jwk: Readonly<Record<string, unknown>>): string | null {
  const curve = typeof jwk['crv'] === 'string' && Object.hasOwn(CURVES, jwk['crv']) ? CURVES[jwk['crv']] : undefined
  if (!curve) return 'unsupported curve'
  const x = member(jwk, 'x')
  const y = member(jwk, 'y')
  if (!x || !y) return 'EC x or y is not strict base64url'
  if (x.length !== curve.octets || y.length !== curve.octets) return 'EC x or y is not the curve size'
  if (unsignedInteger(x) >= curve.prime || unsignedInteger(y) >= curve.prime) return 'EC x or y is not below the field prime'
  if (!imports({ kty: 'EC', crv: jwk['crv'] as string, x: jwk['x'] as string, y: jwk['y'] as string })) return EC_IMPORT_REFUSED
  return null
}

function okpProblem(jwk: Readonly<Record<string, unknown>>): string | null {
  if (jwk['crv'] !== 'Ed25519') return 'unsupported curve'
  const x = member(jwk, 'x')
  if (!x) return 'OKP x is not strict base64url'
  if (x.length !== ED25519_OCTETS) return 'OKP x is not 32 octets'
  if (!imports({ kty: 'OKP', crv: 'Ed25519', x: jwk['x'] as string })) return OKP_IMPORT_REFUSED
  return null
}

/**
 * Why the public key material of an RSA, EC or OKP member is not a valid public key of its type, or null
 * (contract/checks.json `keyUsability`). Size and encoding rules are checked here, by rule, so every
 * implementation decides them alike; only the point-on-curve check is left to the crypto library's import,
 * whose refusal counts as unusable. The reason names the rule, never key material.
 */
export function keyMaterialProblem(jwk: Readonly<Record<string, unknown>>): string | null {
  const text = materialText(jwk)
  // A text longer than any legal material (an RSA-16384 key is about 2,750 characters) is judged, not kept: the
  // bound on entries then bounds memory too (256 × 4 KiB), whatever a key set publishes.
  const material = text !== null && text.length <= MAX_REMEMBERED_MATERIAL_CHARACTERS ? text : null
  const known = material === null ? undefined : judged.get(material)
  if (known !== undefined) return known
  const problem = jwk['kty'] === 'RSA' ? rsaProblem(jwk) : jwk['kty'] === 'EC' ? ecProblem(jwk) : jwk['kty'] === 'OKP' ? okpProblem(jwk) : 'unsupported kty'
  // An import's refusal is not remembered: node:crypto reads members such as `d` through the prototype of the JWK
  // it builds, so a member Object.prototype was given for a while refuses good keys, which must import again after.
  if (material !== null && (problem === null || !IMPORT_REFUSALS.has(problem))) {
    if (judged.size >= MAX_JUDGED_KEYS) judged.clear()
    judged.set(material, problem)
  }
  return problem
}

/** Distinct key materials whose verdict is remembered (forgotten all at once when full). */
const MAX_JUDGED_KEYS = 256
const MAX_REMEMBERED_MATERIAL_CHARACTERS = 4096
const IMPORT_REFUSALS: ReadonlySet<string> = new Set([RSA_IMPORT_REFUSED, EC_IMPORT_REFUSED, OKP_IMPORT_REFUSED])

/** How many key materials have their verdict remembered now (for tests of the bounds). */
export const rememberedKeyMaterials = (): number => judged.size

/**
 * Verdicts by key material. The rules are a function of the material alone, and importing an EC key makes
 * OpenSSL multiply the point by the group order (about 1 ms for P-256, 4 ms for P-521): every verifier of a
 * process, and every refresh of a key set that did not change, would pay it again for the same keys.
 */
const judged = new Map<string, string | null>()

/** The members the rules read, as one unambiguous text (JSON); null when one is not a string (judged each time, never remembered). */
function materialText(jwk: Readonly<Record<string, unknown>>): string | null {
  const values: (string | null)[] = []
  for (const name of MATERIAL_MEMBERS) {
    const value = jwk[name]
    if (value !== undefined && typeof value !== 'string') return null
    values.push(value ?? null)
  }
  return JSON.stringify(values)
}

const MATERIAL_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const
