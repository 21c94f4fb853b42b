import type { ConfigProblem } from './errors.js'
import { ENV_CONTRACT } from './generated/contract.js'
import { FetchFailure } from './key-fetch.js'
import type { PublicJwk } from './key-set.js'
import { parseKeySetDocument } from './key-set-document.js'
import type { KeySource } from './key-sources/key-source.js'
import { keyUrlProblem } from './url-rules.js'

export const ISSUERS_VARIABLE = 'TRUSTED_PROXY_ISSUERS'

/**
 * One trusted issuer with its own keys (TRUSTED_PROXY_ISSUERS; contract/schema/issuers.schema.json). An
 * assertion whose `iss` is `issuer` is verified with this entry's key source, audience, algorithms and
 * clock tolerance only.
 */
export interface IssuerConfig {
  readonly issuer: string
  /** A key set at a URL, found by discovery from `issuer`, in a local file, or inline. */
  readonly keySource: KeySource
  readonly audience: readonly string[]
  readonly algorithms: readonly string[]
  /** Seconds. */
  readonly clockTolerance: number
}

/** What an entry inherits from the top-level settings when it names none of its own. */
export interface IssuerDefaults {
  readonly audience: readonly string[]
  readonly algorithms: readonly string[]
  readonly clockTolerance: number
}

const MEMBERS = ['issuer', 'jwks_url', 'jwks_file', 'jwks', 'discovery', 'audience', 'algorithms', 'clock_tolerance'] as const
const KEY_SOURCES = ['jwks_url', 'jwks_file', 'jwks', 'discovery'] as const
const REFUSED_ALGORITHM_NAMES: readonly string[] = ['HS256', 'HS384', 'HS512', 'none']
const CLOCK_TOLERANCE = ENV_CONTRACT.variables.find((v) => v.option === 'clockTolerance') as { minimum?: number; maximum?: number }
const ALLOWED_ALGORITHMS = (ENV_CONTRACT.variables.find((v) => v.option === 'algorithms') as { allowedValues?: readonly string[] }).allowedValues ?? []

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value)

/**
 * The members of an inline key set (TRUSTED_PROXY_JWKS, or an entry's `jwks`), or null after recording why
 * it cannot be one: not a JSON Web Key Set, or private key material (the cause only, never the material).
 */
export function inlineKeySet(document: unknown, variable: string, where: string, problems: ConfigProblem[]): PublicJwk[] | null {
  try {
    return parseKeySetDocument(typeof document === 'string' ? document : JSON.stringify(document))
  } catch (error) {
    const cause = error instanceof FetchFailure ? error.message : 'not a JSON Web Key Set'
    problems.push({ variable, message: `${where}is not usable: ${cause === 'invalid JSON' ? 'not a JSON Web Key Set (invalid JSON)' : cause}` })
    return null
  }
}

/** Accepted algorithm names; refused ones are reported (a registered name quoted, anything else by position). */
function entryAlgorithms(value: unknown, where: string, problems: ConfigProblem[]): string[] | null {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.some((alg) => typeof alg !== 'string')) {
    problems.push({ variable: ISSUERS_VARIABLE, message: `${where}"algorithms" must be a string or a non-empty array of strings` })
    return null
  }
  let ok = true
  for (const [index, alg] of (list as string[]).entries()) {
    const label = REFUSED_ALGORITHM_NAMES.includes(alg) ? `"${alg}"` : `entry ${index + 1}`
    if (/^HS/i.test(alg) || alg.toLowerCase() === 'none') {
      problems.push({ variable: ISSUERS_VARIABLE, message: `${where}"algorithms" ${label} is not allowed: only asymmetric algorithms are accepted` })
      ok = false
    } else if (!ALLOWED_ALGORITHMS.includes(alg)) {
      problems.push({ variable: ISSUERS_VARIABLE, message: `${where}"algorithms" entry ${index + 1} is not a supported algorithm` })
      ok = false
    }
  }
  return ok ? (list as string[]) : null
}

function entryKeySource(entry: Record<string, unknown>, issuer: string, where: string, problems: ConfigProblem[]): KeySource | null {
  const given = KEY_SOURCES.filter((name) => entry[name] !== undefined)
  if (given.length !== 1) {
    problems.push({ variable: ISSUERS_VARIABLE, message: `${where}needs exactly one key source: "jwks_url", "jwks_file", "jwks" or "discovery": true` })
    return null
  }
  const fail = (message: string): null => {
    problems.push({ variable: ISSUERS_VARIABLE, message: `${where}${message}` })
    return null
  }
  switch (given[0]!) {
    case 'jwks_url': {
      const url = entry['jwks_url']
      if (typeof url !== 'string') return fail('"jwks_url" must be a string')
      const problem = keyUrlProblem(url.trim())
      return problem ? fail(`"jwks_url" ${problem}`) : { kind: 'jwks', url: url.trim() }
    }
    case 'jwks_file': {
      const path = entry['jwks_file']
      if (typeof path !== 'string' || path.trim() === '') return fail('"jwks_file" must be a non-empty path')
      return { kind: 'jwksFile', path: path.trim() }
    }
    case 'jwks': {
      const keys = inlineKeySet(entry['jwks'], ISSUERS_VARIABLE, `${where}"jwks" `, problems)
      return keys === null ? null : { kind: 'inlineJwks', keys }
    }
    case 'discovery': {
      if (entry['discovery'] !== true) return fail('"discovery" must be true')
      const problem = keyUrlProblem(issuer)
      if (problem) return fail(`cannot discover keys from its issuer: it ${problem}`)
      const discoveryUrl = `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}/.well-known/openid-configuration`
      return { kind: 'discovery', issuer, discoveryUrl }
    }
  }
}

function entryAudience(value: unknown, where: string, defaults: IssuerDefaults, problems: ConfigProblem[]): string[] | null {
  if (value === undefined) {
    if (defaults.audience.length > 0) return [...defaults.audience]
    problems.push({ variable: ISSUERS_VARIABLE, message: `${where}needs "audience" (or set TRUSTED_PROXY_AUDIENCE)` })
    return null
  }
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) {
    problems.push({ variable: ISSUERS_VARIABLE, message: `${where}"audience" must be a non-empty string or a non-empty array of them` })
    return null
  }
  return list as string[]
}

function entryClockTolerance(value: unknown, where: string, defaults: IssuerDefaults, problems: ConfigProblem[]): number | null {
  if (value === undefined) return defaults.clockTolerance
  const minimum = CLOCK_TOLERANCE.minimum ?? 0
  const maximum = CLOCK_TOLERANCE.maximum ?? Number.MAX_SAFE_INTEGER
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
    problems.push({ variable: ISSUERS_VARIABLE, message: `${where}"clock_tolerance" must be a whole number between ${minimum} and ${maximum}` })
    return null
  }
  return value
}

/**
 * TRUSTED_PROXY_ISSUERS (JSON text): the issuer entries, each validated on its own. Problems name the entry by
 * position and the member by name, never a value (a misplaced secret must not reach logs). Refused: text that
 * is not a non-empty JSON array of objects, unknown members, a missing or repeated issuer, not exactly one key
 * source, a key URL outside the key URL rules, an inline set that is not a usable key set, an audience,
 * algorithm list or clock tolerance that the top-level setting of that name would refuse.
 */
export function parseIssuerEntries(text: string, defaults: IssuerDefaults, problems: ConfigProblem[]): IssuerConfig[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    problems.push({ variable: ISSUERS_VARIABLE, message: 'is not valid JSON' })
    return []
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    problems.push({ variable: ISSUERS_VARIABLE, message: 'must be a non-empty JSON array of issuer entries' })
    return []
  }
  const entries: IssuerConfig[] = []
  const seen = new Map<string, number>()
  for (const [index, entry] of parsed.entries()) {
    const where = `entry ${index + 1} `
    if (!isObject(entry)) {
      problems.push({ variable: ISSUERS_VARIABLE, message: `${where}must be a JSON object` })
      continue
    }
    if (Object.keys(entry).some((name) => !(MEMBERS as readonly string[]).includes(name))) {
      problems.push({ variable: ISSUERS_VARIABLE, message: `${where}has an unknown member (known: ${MEMBERS.join(', ')})` })
    }
    const issuer = entry['issuer']
    if (typeof issuer !== 'string' || issuer === '') {
      problems.push({ variable: ISSUERS_VARIABLE, message: `${where}needs "issuer" (a non-empty string)` })
      continue
    }
    const earlier = seen.get(issuer)
    if (earlier !== undefined) problems.push({ variable: ISSUERS_VARIABLE, message: `${where}repeats the issuer of entry ${earlier}` })
    else seen.set(issuer, index + 1)
    const keySource = entryKeySource(entry, issuer, where, problems)
    const audience = entryAudience(entry['audience'], where, defaults, problems)
    const algorithms = entry['algorithms'] === undefined ? [...defaults.algorithms] : entryAlgorithms(entry['algorithms'], where, problems)
    const clockTolerance = entryClockTolerance(entry['clock_tolerance'], where, defaults, problems)
    if (keySource === null || audience === null || algorithms === null || clockTolerance === null) continue
    entries.push(Object.freeze({ issuer, keySource: Object.freeze(keySource), audience: Object.freeze(audience), algorithms: Object.freeze(algorithms), clockTolerance }))
  }
  return entries
}
