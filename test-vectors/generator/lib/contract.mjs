// What the contract says an outcome looks like. Expected results are derived from contract/*.json and
// the identity mapping rules of contract/checks.json, never from an implementation.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const CONTRACT_DIR = join(import.meta.dirname, '..', '..', '..', 'contract')

/** @param {string} name */
export function readContract(name) {
  return JSON.parse(readFileSync(join(CONTRACT_DIR, name), 'utf8'))
}

/** @type {{ errors: Array<{ code: string, status: number }> }} */
const errors = readContract('errors.json')
/** @type {{ variables: Array<{ name: string, default: unknown }> }} */
const env = readContract('env.json')
/** @type {{ presets: Record<string, { defaults: Record<string, string>, quirks: Record<string, Record<string, unknown>> }> }} */
const presets = readContract('presets.json')

/** @param {string} code @param {string | undefined} [detail] */
export function errorOutcome(code, detail = undefined) {
  const entry = errors.errors.find((error) => error.code === code)
  if (!entry) throw new Error(`contract/errors.json has no code ${code}`)
  return { error: detail === undefined ? { code, status: entry.status } : { code, status: entry.status, detail } }
}

/** @param {string} variable */
function defaultOf(variable) {
  const entry = env.variables.find((candidate) => candidate.name === variable)
  if (!entry) throw new Error(`contract/env.json has no ${variable}`)
  return entry.default
}

const hasOwn = (/** @type {object} */ object, /** @type {string} */ key) => Object.prototype.hasOwnProperty.call(object, key)

/**
 * The vector's preset from contract/presets.json (its `defaults` and `quirks`), or an empty one.
 * @param {Record<string, string>} config
 */
export function presetOf(config) {
  // Like every string setting, the name is trimmed; an empty one selects no preset.
  const name = config['TRUSTED_PROXY_PRESET']?.trim()
  if (!name) return { defaults: {}, quirks: {} }
  const preset = presets.presets[name]
  if (!preset) throw new Error(`contract/presets.json has no preset ${name}`)
  return preset
}

/**
 * contract/checks.json `identityMapping`, applied to a payload that passed every check, with the identity
 * rules of the preset's quirks (contract/presets.json `quirks`).
 * @param {Record<string, unknown>} payload
 * @param {Record<string, string>} config the vector's environment map
 * @param {Record<string, unknown>} [header] the protected header (quirks of preset aws-alb read it)
 */
export function identityFor(payload, config, header = {}) {
  const { defaults, quirks } = presetOf(config)
  // Explicit settings, then the preset's defaults, then the contract defaults.
  const claimName = (/** @type {string} */ variable) => config[variable] ?? defaults[variable] ?? /** @type {string} */ (defaultOf(variable))
  const get = (/** @type {string} */ name) => (hasOwn(payload, name) ? payload[name] : undefined)
  const fromHeader = (/** @type {string} */ name) => (hasOwn(header, name) ? header[name] : undefined)
  const asArray = (/** @type {unknown} */ value) => (value === undefined ? [] : typeof value === 'string' ? [value] : [.../** @type {string[]} */ (value)])
  let subject = get(claimName('TRUSTED_PROXY_CLAIM_SUBJECT'))
  const fallbackClaim = quirks['subjectOptional']?.['fallbackClaim']
  if ((subject === undefined || subject === '') && typeof fallbackClaim === 'string') subject = get(fallbackClaim)
  const email = get(claimName('TRUSTED_PROXY_CLAIM_EMAIL'))
  const name = get(claimName('TRUSTED_PROXY_CLAIM_NAME'))
  const emailVerified = get('email_verified')
  const iat = get('iat')
  if (typeof subject !== 'string' || subject === '') throw new Error('identityFor: the payload has no subject')
  const headerClaims = 'albHeaderClaims' in quirks
  const expiries = (headerClaims ? [fromHeader('exp'), get('exp')] : [get('exp')]).filter((value) => value !== undefined)
  return {
    subject,
    email: typeof email === 'string' ? email : null,
    emailVerified: emailVerified === undefined ? null : emailVerified === true || ('emailVerifiedString' in quirks && emailVerified === 'true'),
    name: typeof name === 'string' ? name : null,
    groups: asArray(get(claimName('TRUSTED_PROXY_CLAIM_GROUPS'))),
    issuer: /** @type {string} */ (headerClaims ? (fromHeader('iss') ?? get('iss')) : get('iss')),
    audience: 'albClientHeader' in quirks ? [fromHeader('client')] : asArray(get('aud')),
    issuedAt: typeof iat === 'number' ? iat : null,
    expiresAt: Math.min(.../** @type {number[]} */ (expiries)),
    claims: payload,
  }
}
