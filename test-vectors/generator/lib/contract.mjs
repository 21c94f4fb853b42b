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

/** @param {string} code */
export function errorOutcome(code) {
  const entry = errors.errors.find((error) => error.code === code)
  if (!entry) throw new Error(`contract/errors.json has no code ${code}`)
  return { error: { code, status: entry.status } }
}

/** @param {string} variable */
function defaultOf(variable) {
  const entry = env.variables.find((candidate) => candidate.name === variable)
  if (!entry) throw new Error(`contract/env.json has no ${variable}`)
  return entry.default
}

const hasOwn = (/** @type {object} */ object, /** @type {string} */ key) => Object.prototype.hasOwnProperty.call(object, key)

/**
 * contract/checks.json `identityMapping`, applied to a payload that passed every check.
 * @param {Record<string, unknown>} payload
 * @param {Record<string, string>} config the vector's environment map
 */
export function identityFor(payload, config) {
  const claimName = (/** @type {string} */ variable) => config[variable] ?? /** @type {string} */ (defaultOf(variable))
  const get = (/** @type {string} */ name) => (hasOwn(payload, name) ? payload[name] : undefined)
  const asArray = (/** @type {unknown} */ value) => (value === undefined ? [] : typeof value === 'string' ? [value] : [.../** @type {string[]} */ (value)])
  const subject = get(claimName('TRUSTED_PROXY_CLAIM_SUBJECT'))
  const email = get(claimName('TRUSTED_PROXY_CLAIM_EMAIL'))
  const name = get(claimName('TRUSTED_PROXY_CLAIM_NAME'))
  const emailVerified = get('email_verified')
  const iat = get('iat')
  if (typeof subject !== 'string' || subject === '') throw new Error('identityFor: the payload has no subject')
  return {
    subject,
    email: typeof email === 'string' ? email : null,
    emailVerified: emailVerified === undefined ? null : emailVerified === true,
    name: typeof name === 'string' ? name : null,
    groups: asArray(get(claimName('TRUSTED_PROXY_CLAIM_GROUPS'))),
    issuer: /** @type {string} */ (get('iss')),
    audience: asArray(get('aud')),
    issuedAt: typeof iat === 'number' ? iat : null,
    expiresAt: /** @type {number} */ (get('exp')),
    claims: payload,
  }
}
