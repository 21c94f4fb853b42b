import { MAX_LOCAL_FILE_BYTES, readLocalTextFile } from './local-file.js'
import type * as NodeFs from 'node:fs'
import { parseAddressRange, type AddressRange } from './addresses.js'
import { TrustedProxyAuthError, type ConfigProblem } from './errors.js'
import { ENV_CONTRACT, type ContractOptions, type OptionName } from './generated/contract.js'
import type { KeySource } from './key-sources/key-source.js'
import { inlineKeySet, ISSUERS_VARIABLE, parseIssuerEntries, type IssuerConfig } from './issuer-entries.js'
import { applyPreset, isKnownPreset, presetNames, type PresetQuirks } from './presets.js'
import { SHARED_SECRET_ALGORITHM } from './quirks/shared-secret-hs256.js'
import { readEnrollmentRecord } from './enrollment/record-file.js'
import { splitList } from './setting-text.js'
import { keyUrlProblem } from './url-rules.js'

export type EnvInput = Readonly<Record<string, string | undefined>>

type Variable = (typeof ENV_CONTRACT.variables)[number]

/** A `name` or `name=value` rule (required claims, required headers). */
export interface NameValueRule {
  readonly name: string
  readonly value: string | null
}

/**
 * Options given in code; each overrides the TRUSTED_PROXY_* variable of the same meaning. The members and
 * their documentation are generated from contract/env.json (`ContractOptions`).
 */
export type TrustedProxyAuthOptions = ContractOptions

/** How loadConfig finds keys when TRUSTED_PROXY_JWKS_URL is not set (the CLI's `verify`; adapters keep the default). */
export interface LoadConfigBehaviour {
  /**
   * `off` (default): keys come from TRUSTED_PROXY_JWKS_URL or the preset.
   * `auto`: without a preset and a key URL, when the one issuer is https, find the key set by OpenID discovery.
   * `force`: always find it by OpenID discovery from the one issuer (TRUSTED_PROXY_JWKS_URL must not be set;
   * presets that fetch keys per kid or use a shared secret refuse it). Rules: contract/presets.json `jwksUrlRules.discovery`.
   */
  discovery?: 'off' | 'auto' | 'force'
}

/** The validated, immutable configuration a verifier runs on. */
export interface TrustedProxyAuthConfig {
  readonly assertionHeader: string
  /**
   * TRUSTED_PROXY_JWKS_URL as configured or derived by the preset: a key set URL, a `{kid}` template
   * (preset aws-alb), or null when keys are found by discovery or there is no key set (preset authentik).
   */
  readonly jwksUrl: string | null
  /**
   * Where verification keys come from; see contract/presets.json `jwksUrlRules`. With TRUSTED_PROXY_ISSUERS:
   * the first entry's (each entry has its own, in `issuers`).
   */
  readonly keySource: KeySource
  /** TRUSTED_PROXY_JWKS_FILE: a local key set file, or null. */
  readonly jwksFile: string | null
  /** TRUSTED_PROXY_JWKS as configured (JSON text), or null; its members are in `keySource`. */
  readonly jwks: string | null
  /**
   * TRUSTED_PROXY_ISSUERS: several issuers, each with its own keys, audience, algorithms and clock tolerance,
   * selected by the assertion's `iss` before any key lookup. Empty when one key source serves `issuer`.
   */
  readonly issuers: readonly IssuerConfig[]
  readonly issuer: readonly string[]
  readonly audience: readonly string[]
  readonly algorithms: readonly string[]
  readonly clockTolerance: number
  readonly maxAge: number | null
  readonly requiredClaims: readonly NameValueRule[]
  readonly mode: 'required' | 'optional'
  readonly trustedAddresses: readonly AddressRange[]
  readonly requiredHeaders: readonly NameValueRule[]
  readonly allowedUsers: readonly string[]
  readonly allowedGroups: readonly string[]
  readonly claimSubject: string
  readonly claimEmail: string
  readonly claimName: string
  readonly claimGroups: string
  readonly jwksTimeout: number
  readonly jwksCacheTtl: number
  readonly jwksCooldown: number
  readonly jwksMaxStale: number
  readonly maxAssertionBytes: number
  /** Verified assertions remembered per verifier (0: off). */
  readonly cacheSize: number
  /** Seconds a verified assertion is remembered at most. */
  readonly cacheMaxAge: number
  /** `diagnostic`: problem bodies carry the rejection's detail (TRUSTED_PROXY_PROBLEM_DETAIL). */
  readonly problemDetail: 'generic' | 'diagnostic'
  /** TRUSTED_PROXY_LOG_THRESHOLD; null: warnings and errors, or everything when DEBUG names trusted-proxy-auth. */
  readonly logThreshold: 'debug' | 'info' | 'warn' | 'error' | 'silent' | null
  readonly preset: string | null
  /** The quirks the preset switches on, with their parameters (contract/presets.json `quirks`). */
  readonly presetQuirks: PresetQuirks
  readonly awsAlbArn: string | null
  /**
   * The authentik preset's HMAC secret. A non-enumerable property, so that JSON.stringify and
   * console.log of a configuration never show it; never logged or printed by this library.
   */
  readonly sharedSecret: string | null
  /** `trusted-proxy-auth serve` only: listen address and port, and the identity response header names. */
  readonly serveAddress: string
  readonly servePort: number
  readonly serveUserHeader: string
  readonly serveEmailHeader: string
  readonly serveNameHeader: string
  readonly serveGroupsHeader: string
}

const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * Response headers `serve` must not be told to fill with a claim: message framing and connection management
 * (RFC 9112 section 6, RFC 9110 section 7.6.1), cookies, and the headers of its own problem answers. A claim
 * written there would break the response towards the proxy or let a signed value set a cookie.
 */
const RESERVED_RESPONSE_HEADERS = new Set([
  'connection', 'content-length', 'content-type', 'keep-alive', 'proxy-connection', 'set-cookie', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'www-authenticate', 'retry-after', 'cache-control', 'content-encoding',
])
const INTEGER = /^-?[0-9]+$/
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/

/** Turns an option or file value into the string form an environment variable would have. */
function asSettingText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  // A JSON setting (TRUSTED_PROXY_JWKS, TRUSTED_PROXY_ISSUERS) given as its value rather than as text.
  const isStructured = (item: unknown): boolean => item !== null && typeof item === 'object'
  if (Array.isArray(value)) return value.some(isStructured) ? JSON.stringify(value) : value.map(String).join(',')
  if (isStructured(value)) return JSON.stringify(value)
  return String(value)
}

type NodeFileSystem = typeof NodeFs

// Looked up lazily so that the verifier also loads on fetch runtimes without `node:fs` (Hono on workers).
function readTextFile(path: string): string {
  const fs = globalThis.process?.getBuiltinModule?.('node:fs') as NodeFileSystem | undefined
  if (!fs) throw new Error('no file system')
  return readLocalTextFile(fs, path, MAX_LOCAL_FILE_BYTES)
}

function readConfigFile(path: string, problems: ConfigProblem[]): Record<string, string> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readTextFile(path))
  } catch {
    problems.push({ variable: 'TRUSTED_PROXY_CONFIG_FILE', message: 'cannot be read as a JSON file' })
    return {}
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push({ variable: 'TRUSTED_PROXY_CONFIG_FILE', message: 'must hold a JSON object' })
    return {}
  }
  const settings: Record<string, string> = {}
  for (const [name, value] of Object.entries(parsed)) {
    const text = asSettingText(value)
    if (text !== undefined) settings[name] = text
  }
  return settings
}

/**
 * The settings of the enrollment record at `path` as setting text (contract/enrollment.json): none when the file
 * does not exist; an unreadable or invalid record adds its problems.
 */
function readEnrollmentSettings(path: string, problems: ConfigProblem[]): Record<string, string> {
  try {
    const record = readEnrollmentRecord(path)
    return record === null ? {} : settingTexts(record.settings)
  } catch (error) {
    if (!(error instanceof TrustedProxyAuthError)) throw error
    problems.push(...(error.problems ?? [{ variable: 'TRUSTED_PROXY_ENROLLMENT_FILE', message: 'cannot be read' }]))
    return {}
  }
}

function settingTexts(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const settings: Record<string, string> = {}
  for (const [name, value] of Object.entries(values)) {
    const text = asSettingText(value)
    if (text !== undefined) settings[name] = text
  }
  return settings
}

function parseNameValueRules(variable: string, items: string[], problems: ConfigProblem[], isName: (name: string) => boolean): NameValueRule[] {
  const rules: NameValueRule[] = []
  for (const [index, item] of items.entries()) {
    const at = item.indexOf('=')
    const name = (at === -1 ? item : item.slice(0, at)).trim()
    const value = at === -1 ? null : item.slice(at + 1).trim()
    if (!isName(name)) {
      // By position, never quoted: a misplaced token or secret must not reach logs through this message.
      problems.push({ variable, message: `has an invalid entry (entry ${index + 1})` })
      continue
    }
    rules.push({ name, value })
  }
  return rules
}

function checkUrl(variable: string, text: string, problems: ConfigProblem[]): void {
  const problem = keyUrlProblem(text)
  if (problem) problems.push({ variable, message: problem })
}

function parseValue(variable: Variable, text: string, problems: ConfigProblem[]): unknown {
  const name = variable.name
  switch (variable.type) {
    case 'string':
    case 'path':
    case 'json':
      return text.trim()
    case 'url':
      checkUrl(name, text.trim(), problems)
      return text.trim()
    case 'list':
      return splitList(text)
    case 'cidr-list': {
      const ranges: AddressRange[] = []
      for (const [index, item] of splitList(text).entries()) {
        const range = parseAddressRange(item)
        if (range) ranges.push(range)
        else problems.push({ variable: name, message: `has an invalid address or CIDR range (entry ${index + 1})` })
      }
      return ranges
    }
    case 'integer':
    case 'number': {
      const trimmed = text.trim()
      if (!(variable.type === 'integer' ? INTEGER : DECIMAL).test(trimmed)) {
        problems.push({ variable: name, message: `must be ${variable.type === 'integer' ? 'a whole number' : 'a number'}` })
        return undefined
      }
      const value = Number(trimmed)
      const { minimum, maximum } = variable as { minimum?: number; maximum?: number }
      if ((minimum !== undefined && value < minimum) || (maximum !== undefined && value > maximum)) {
        problems.push({ variable: name, message: `must be between ${minimum ?? '-'} and ${maximum ?? '-'}` })
        return undefined
      }
      return value
    }
    case 'enum': {
      const trimmed = text.trim()
      const allowed = (variable as { allowedValues?: readonly string[] }).allowedValues ?? []
      if (!allowed.includes(trimmed)) {
        problems.push({ variable: name, message: `must be one of ${allowed.join(', ')}` })
        return undefined
      }
      return trimmed
    }
  }
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
}

/** The symmetric and unsecured JWA names (RFC 7518 §3.1), refused by name. */
const REFUSED_ALGORITHM_NAMES: readonly string[] = ['HS256', 'HS384', 'HS512', 'none']

/** Cross-setting rules the per-variable types cannot express. */
function checkPolicy(settings: Record<string, unknown>, problems: ConfigProblem[]): void {
  const algorithms = settings['algorithms']
  if (Array.isArray(algorithms)) {
    const allowed = ENV_CONTRACT.variables.find((v) => v.option === 'algorithms')?.allowedValues ?? []
    for (const [index, alg] of (algorithms as string[]).entries()) {
      // A registered name is quoted; anything else only by position, so a misplaced secret is never echoed.
      const label = REFUSED_ALGORITHM_NAMES.includes(alg) ? `"${alg}"` : `entry ${index + 1}`
      if (/^HS/i.test(alg) || alg.toLowerCase() === 'none') {
        problems.push({ variable: 'TRUSTED_PROXY_ALGORITHMS', message: `${label} is not allowed: only asymmetric algorithms are accepted` })
      } else if (!(allowed as readonly string[]).includes(alg)) {
        problems.push({ variable: 'TRUSTED_PROXY_ALGORITHMS', message: `entry ${index + 1} is not a supported algorithm` })
      }
    }
  }
  const header = settings['assertionHeader']
  if (typeof header === 'string' && header !== '' && !HTTP_TOKEN.test(header)) {
    problems.push({ variable: 'TRUSTED_PROXY_ASSERTION_HEADER', message: 'must be a valid HTTP header name' })
  }
  const identityHeaders = new Set<string>()
  for (const option of ['serveUserHeader', 'serveEmailHeader', 'serveNameHeader', 'serveGroupsHeader']) {
    const value = settings[option]
    if (typeof value !== 'string') continue
    const variable = ENV_CONTRACT.variables.find((v) => v.option === option)?.name ?? option
    if (!HTTP_TOKEN.test(value)) {
      problems.push({ variable, message: 'must be a valid HTTP header name' })
    } else if (RESERVED_RESPONSE_HEADERS.has(value.toLowerCase())) {
      problems.push({ variable, message: 'must not name a framing, connection, cookie or problem response header' })
    } else if (identityHeaders.has(value.toLowerCase())) {
      problems.push({ variable, message: 'must differ from the other identity response headers' })
    }
    identityHeaders.add(value.toLowerCase())
  }
  for (const option of ['claimSubject', 'claimEmail', 'claimName', 'claimGroups']) {
    if (settings[option] === '') {
      const variable = ENV_CONTRACT.variables.find((v) => v.option === option)
      problems.push({ variable: variable?.name ?? option, message: 'must not be empty' })
    }
  }
}

/**
 * Exactly one key source: TRUSTED_PROXY_JWKS_URL, TRUSTED_PROXY_JWKS_FILE or TRUSTED_PROXY_JWKS, or the entries of
 * TRUSTED_PROXY_ISSUERS (which then must stand alone: TRUSTED_PROXY_ISSUER, the top-level key sources and a
 * preset would make it ambiguous which issuer's keys verify what). A local key set is not combined with a
 * preset (presets derive or forbid key URLs of their own) nor with OpenID discovery.
 */
function checkKeySourceChoice(
  explicit: Readonly<Record<string, string>>,
  given: (name: string) => boolean,
  severalIssuers: boolean,
  presetName: string | null,
  discovery: 'off' | 'auto' | 'force',
  problems: ConfigProblem[],
): void {
  const sources = ['TRUSTED_PROXY_JWKS_URL', 'TRUSTED_PROXY_JWKS_FILE', 'TRUSTED_PROXY_JWKS'].filter((name) => (name === 'TRUSTED_PROXY_JWKS_URL' ? explicit[name] !== undefined : given(name)))
  if (severalIssuers) {
    for (const name of ['TRUSTED_PROXY_ISSUER', ...sources, 'TRUSTED_PROXY_PRESET']) {
      if (name === 'TRUSTED_PROXY_ISSUER' ? explicit[name] !== undefined : name === 'TRUSTED_PROXY_PRESET' ? presetName !== null : true) {
        problems.push({ variable: name, message: `must not be set with ${ISSUERS_VARIABLE} (each issuer entry names its own issuer and keys)` })
      }
    }
    if (discovery === 'force') problems.push({ variable: ISSUERS_VARIABLE, message: 'cannot be used with --discover (set "discovery": true in an entry instead)' })
    return
  }
  if (sources.length > 1) problems.push({ variable: sources[1]!, message: `must not be set with ${sources[0]!}: exactly one key source may be set` })
  const local = sources.find((name) => name !== 'TRUSTED_PROXY_JWKS_URL')
  if (local !== undefined && presetName !== null) problems.push({ variable: local, message: 'must not be set with TRUSTED_PROXY_PRESET (the preset names its own key source)' })
  if (local !== undefined && discovery === 'force') problems.push({ variable: local, message: 'must not be set with --discover: keys come from the discovery document' })
}

/**
 * Reads the TRUSTED_PROXY_* settings from `env` (default `process.env`), an optional JSON config file
 * and `overrides` (which win), validates them against contract/env.json and returns the frozen
 * configuration. Every problem is reported at once in a single `invalid_config` error.
 */
export function loadConfig(
  env: EnvInput = globalThis.process?.env ?? {},
  overrides: TrustedProxyAuthOptions = {},
  behaviour: LoadConfigBehaviour = {},
): TrustedProxyAuthConfig {
  return loadConfigWithEnrollment(env, overrides, behaviour, null)
}

/**
 * loadConfig with the enrollment layer given: `enrollmentSettings` (a proposal being checked) stands in for the
 * record TRUSTED_PROXY_ENROLLMENT_FILE names, which is then not read; null reads the record as loadConfig does.
 */
export function loadConfigWithEnrollment(
  env: EnvInput,
  overrides: TrustedProxyAuthOptions,
  behaviour: LoadConfigBehaviour,
  enrollmentSettings: Readonly<Record<string, unknown>> | null,
): TrustedProxyAuthConfig {
  const problems: ConfigProblem[] = []
  const known = new Set<string>(ENV_CONTRACT.variables.map((v) => v.name))
  const knownOptions = new Set<string>(ENV_CONTRACT.variables.map((v) => v.option))

  for (const name of Object.keys(env)) {
    if (name.startsWith('TRUSTED_PROXY_') && !known.has(name) && env[name] !== undefined) {
      problems.push({ variable: name, message: 'is not a known setting' })
    }
  }
  for (const [option, value] of Object.entries(overrides)) {
    if (!knownOptions.has(option) && value !== undefined) {
      problems.push({ variable: option, message: 'is not a known option' })
    }
  }

  const optionText = (option: OptionName): string | undefined => asSettingText((overrides as Record<string, unknown>)[option])
  const configFilePath = optionText('configFile') ?? env['TRUSTED_PROXY_CONFIG_FILE']
  const fileSettings = configFilePath ? readConfigFile(configFilePath, problems) : {}
  for (const name of Object.keys(fileSettings)) {
    if (!known.has(name)) problems.push({ variable: name, message: 'is not a known setting (in TRUSTED_PROXY_CONFIG_FILE)' })
  }

  // The enrollment record is the lowest explicit source (contract/enrollment.json `precedence`).
  const enrollmentFilePath = optionText('enrollmentFile') ?? env['TRUSTED_PROXY_ENROLLMENT_FILE'] ?? fileSettings['TRUSTED_PROXY_ENROLLMENT_FILE']
  const recordSettings =
    enrollmentSettings !== null ? settingTexts(enrollmentSettings) : enrollmentFilePath ? readEnrollmentSettings(enrollmentFilePath, problems) : {}
  // A record is checked like a config file: a misspelt name must not be silently ignored.
  for (const name of Object.keys(recordSettings)) {
    if (!known.has(name)) problems.push({ variable: name, message: 'is not a known setting (in TRUSTED_PROXY_ENROLLMENT_FILE)' })
  }

  // Explicit settings (code, environment, file, enrollment record) in that precedence; a preset only fills what is left.
  const explicit: Record<string, string> = {}
  for (const variable of ENV_CONTRACT.variables) {
    const higher = optionText(variable.option) ?? env[variable.name] ?? fileSettings[variable.name]
    const recorded = recordSettings[variable.name]
    // A record value hidden by a higher source is still one the runtime must accept: the record may be used alone.
    if (higher !== undefined && recorded !== undefined) {
      const recordProblems: ConfigProblem[] = []
      parseValue(variable, recorded, recordProblems)
      problems.push(...recordProblems.map((problem) => ({ ...problem, message: `${problem.message} (in TRUSTED_PROXY_ENROLLMENT_FILE)` })))
    }
    const text = higher ?? recorded
    if (text !== undefined) explicit[variable.name] = text
  }
  const presetName = explicit['TRUSTED_PROXY_PRESET']?.trim() || null
  if (presetName !== null && !isKnownPreset(presetName)) {
    problems.push({ variable: 'TRUSTED_PROXY_PRESET', message: `is not a known preset (known: ${presetNames().join(', ')})` })
  }
  const { settings: merged, quirks, keySource: keySourcePlan } = applyPreset(presetName, explicit, problems, behaviour.discovery ?? 'off')

  const given = (name: string): boolean => (merged[name]?.trim() ?? '') !== ''
  const severalIssuers = given(ISSUERS_VARIABLE)
  const localKeys = given('TRUSTED_PROXY_JWKS_FILE') || given('TRUSTED_PROXY_JWKS')
  // Settings another one replaces: each issuer entry has its own issuer and keys, a local key set replaces the URL.
  const replaced = new Set<string>()
  if (severalIssuers) ['TRUSTED_PROXY_ISSUER', 'TRUSTED_PROXY_AUDIENCE', 'TRUSTED_PROXY_JWKS_URL'].forEach((name) => replaced.add(name))
  if (localKeys) replaced.add('TRUSTED_PROXY_JWKS_URL')
  checkKeySourceChoice(explicit, given, severalIssuers, presetName, behaviour.discovery ?? 'off', problems)

  const settings: Record<string, unknown> = {}
  for (const variable of ENV_CONTRACT.variables) {
    if (variable.name === 'TRUSTED_PROXY_JWKS_URL' && keySourcePlan.kind === 'decided') {
      // The preset decided where keys come from (and reported any problem with it).
      const source = keySourcePlan.source
      settings[variable.option] = source?.kind === 'jwks' ? source.url : source?.kind === 'kidTemplate' ? source.template : null
      continue
    }
    const text = merged[variable.name]
    let value: unknown = text === undefined ? settingDefault(variable.default) : parseValue(variable, text, problems)
    if (variable.type === 'cidr-list' && Array.isArray(value) && value.length === 0) value = []
    if (variable.required && !replaced.has(variable.name) && isEmpty(value) && !(text !== undefined && value === undefined)) {
      problems.push({ variable: variable.name, message: 'is required' })
    }
    settings[variable.option] = value
  }
  checkPolicy(settings, problems)

  settings['requiredClaims'] = parseNameValueRules('TRUSTED_PROXY_REQUIRED_CLAIMS', (settings['requiredClaims'] as string[] | undefined) ?? [], problems, (n) => n !== '')
  settings['requiredHeaders'] = parseNameValueRules('TRUSTED_PROXY_REQUIRED_HEADERS', (settings['requiredHeaders'] as string[] | undefined) ?? [], problems, (n) => HTTP_TOKEN.test(n))
  settings['preset'] = presetName
  settings['presetQuirks'] = quirks
  settings['awsAlbArn'] = settings['awsAlbArn'] || null
  if (keySourcePlan.kind === 'decided') {
    if (keySourcePlan.source) settings['keySource'] = Object.freeze({ ...keySourcePlan.source })
  } else if (typeof settings['jwksUrl'] === 'string') {
    settings['keySource'] = Object.freeze({ kind: 'jwks', url: settings['jwksUrl'] })
  }
  settings['jwksFile'] = settings['jwksFile'] || null
  settings['jwks'] = settings['jwks'] || null
  if (typeof settings['jwksFile'] === 'string') {
    settings['keySource'] = Object.freeze({ kind: 'jwksFile', path: settings['jwksFile'] })
  } else if (typeof settings['jwks'] === 'string') {
    const keys = inlineKeySet(settings['jwks'], 'TRUSTED_PROXY_JWKS', '', problems)
    if (keys !== null) settings['keySource'] = Object.freeze({ kind: 'inlineJwks', keys: Object.freeze(keys) })
  }
  settings['issuers'] = Object.freeze(
    severalIssuers
      ? parseIssuerEntries(
          settings['issuers'] as string,
          { audience: (settings['audience'] as string[] | undefined) ?? [], algorithms: (settings['algorithms'] as string[] | undefined) ?? [], clockTolerance: (settings['clockTolerance'] as number | undefined) ?? 60 },
          problems,
        )
      : [],
  )
  const entries = settings['issuers'] as readonly IssuerConfig[]
  if (entries.length > 0) {
    settings['issuer'] = entries.map((entry) => entry.issuer)
    settings['keySource'] = entries[0]!.keySource
    settings['jwksUrl'] = null
  }
  // The shared secret replaces the asymmetric allow-list (which the preset forbids setting).
  if ('sharedSecretHS256' in quirks) settings['algorithms'] = [SHARED_SECRET_ALGORITHM]

  if (problems.length > 0) throw new TrustedProxyAuthError('invalid_config', { problems })
  const { sharedSecret, ...enumerable } = settings
  // A fresh object, not `settings`: settings added one by one under computed names leave V8 an object in
  // dictionary mode, where every read (several on each verification) is a hash lookup; a copy has fast properties.
  const config = { ...enumerable }
  for (const value of Object.values(config)) freezeSetting(value)
  Object.defineProperty(config, 'sharedSecret', { value: sharedSecret || null, enumerable: false })
  return Object.freeze(config) as unknown as TrustedProxyAuthConfig
}

/**
 * Freezes a setting's arrays and plain objects in place, all the way down. A verifier settles what it reads from
 * its configuration when it is made, so a configuration that could still change would no longer say what the
 * verifier does. (Contract defaults are copied before they become settings: see settingDefault.)
 */
function freezeSetting(value: unknown): void {
  if (value === null || typeof value !== 'object') return
  const prototype: unknown = Object.getPrototypeOf(value)
  // Other objects (the address of a parsed range) are the library's own and left as they are.
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return
  for (const member of Object.values(value)) freezeSetting(member)
  Object.freeze(value)
}

/** A variable's contract default as a setting of its own: an array copied, so that freezing it leaves the contract's. */
const settingDefault = (value: unknown): unknown => (Array.isArray(value) ? [...(value as unknown[])] : value)
