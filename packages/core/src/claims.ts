import type { TrustedProxyAuthConfig } from './config.js'
import { numberText, quoted, quotedList } from './detail-text.js'
import { TrustedProxyAuthError } from './errors.js'
import { asStringArray, claimValue, type TrustedIdentity } from './identity.js'
import type { ActiveQuirks } from './quirks/active-quirks.js'
import { checkClientAudience } from './quirks/alb-client-header.js'
import { albExpiry, albHeaderClaimTypesValid, albIssuer, checkIssuersAgree } from './quirks/alb-header-claims.js'
import { checkSigner } from './quirks/alb-signer-header.js'
import { subjectWithFallback } from './quirks/subject-optional.js'

const isString = (value: unknown): value is string => typeof value === 'string'
function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false
  return true
}
const isStringOrStrings = (value: unknown): boolean => isString(value) || isStringArray(value)
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/** A claim type rule: the check and what the detail calls the type it wants. */
type TypeRule = [name: string, valid: (value: unknown) => boolean, wanted: string]
const A_NUMBER = 'a number'
const A_STRING = 'a string'
const STRINGS = 'a string or an array of strings'

const malformed = (detail: string): TrustedProxyAuthError => new TrustedProxyAuthError('malformed_assertion', { detail })

/** The claims the identity is built from once every check passed (the quirks may take them from elsewhere). */
export interface CheckedClaims {
  readonly subject: string
  readonly issuer: string
  /** Frozen (identity.audience as it is); a one-audience array may be shared by every verification under the configuration. */
  readonly audience: readonly string[]
  readonly expiresAt: number
}

/** The verified protected header and payload. */
export interface VerifiedContent {
  readonly header: Record<string, unknown>
  readonly payload: Record<string, unknown>
}

/** What the claim stages check under one configuration (its quirks follow from it). */
interface ClaimRules {
  readonly types: readonly TypeRule[]
  /** Header members that must be strings when present, and present (preset aws-alb). */
  readonly headerMembers: readonly string[]
  /** Claims that must be present besides iss, exp and the subject, in contract order. */
  readonly requiredClaims: readonly string[]
  /** identity.audience of an `aud` string that is one of the configured audiences: frozen once, not per verification. */
  readonly singleAudiences: ReadonlyMap<string, readonly string[]>
}

/** Built once per configuration: every verification reads them. */
const claimRulesByConfig = new WeakMap<TrustedProxyAuthConfig, ClaimRules>()

function claimRulesFor(config: TrustedProxyAuthConfig, quirks: ActiveQuirks): ClaimRules {
  let rules = claimRulesByConfig.get(config)
  if (rules === undefined) {
    rules = {
      types: [
        ['exp', isFiniteNumber, A_NUMBER],
        ['nbf', isFiniteNumber, A_NUMBER],
        ['iat', isFiniteNumber, A_NUMBER],
        ['iss', isString, A_STRING],
        ['aud', isStringOrStrings, STRINGS],
        [config.claimSubject, isString, A_STRING],
        [config.claimEmail, isString, A_STRING],
        [config.claimName, isString, A_STRING],
        [config.claimGroups, isStringOrStrings, STRINGS],
        ...(quirks.subjectFallbackClaim !== null ? [[quirks.subjectFallbackClaim, isString, A_STRING] as TypeRule] : []),
      ],
      headerMembers: [...(quirks.albSigner !== null ? ['signer'] : []), ...(quirks.albClientHeader ? ['client'] : [])],
      requiredClaims: [...(quirks.noAudClaim ? [] : ['aud']), ...(config.maxAge !== null ? ['iat'] : []), ...config.requiredClaims.map((rule) => rule.name)],
      singleAudiences: new Map(config.audience.map((aud) => [aud, Object.freeze([aud])])),
    }
    claimRulesByConfig.set(config, rules)
  }
  return rules
}

/** Stage `claim_types`: a present claim of the wrong JSON type is malformed, never coerced. */
function checkClaimTypes({ header, payload }: VerifiedContent, rules: ClaimRules, quirks: ActiveQuirks): void {
  // Index loops: no iterator or destructuring per rule on every verification.
  const types = rules.types
  for (let i = 0; i < types.length; i++) {
    const rule = types[i]!
    const value = claimValue(payload, rule[0])
    if (value !== undefined && !rule[1](value)) throw malformed(`claim ${quoted(rule[0])} is not ${rule[2]}`)
  }
  for (const name of rules.headerMembers) {
    const value = claimValue(header, name)
    if (value !== undefined && !isString(value)) throw malformed(`header member ${quoted(name)} is not ${A_STRING}`)
  }
  if (quirks.albHeaderClaims && !albHeaderClaimTypesValid(header)) {
    const iss = claimValue(header, 'iss')
    throw malformed(iss !== undefined && !isString(iss) ? `header member "iss" is not ${A_STRING}` : `header member "exp" is not ${A_NUMBER}`)
  }
}

const missingClaim = (detail: string): TrustedProxyAuthError => new TrustedProxyAuthError('missing_claim', { detail })

interface PresentClaims {
  readonly subject: string
  readonly issuer: string
  readonly expiresAt: number
}

/** Stage `claim_presence`. */
function checkClaimPresence({ header, payload }: VerifiedContent, config: TrustedProxyAuthConfig, rules: ClaimRules, quirks: ActiveQuirks): PresentClaims {
  const issuer = quirks.albHeaderClaims ? albIssuer(header, payload) : (claimValue(payload, 'iss') as string | undefined)
  const expiresAt = quirks.albHeaderClaims ? albExpiry(header, payload) : (claimValue(payload, 'exp') as number | undefined)
  const subjectClaim = claimValue(payload, config.claimSubject)
  const subject =
    quirks.subjectFallbackClaim !== null
      ? subjectWithFallback(payload, config.claimSubject, quirks.subjectFallbackClaim)
      : subjectClaim === undefined || subjectClaim === ''
        ? null
        : (subjectClaim as string)
  // The first missing claim in contract order (errors.json `missing_claim` detail).
  if (issuer === undefined) throw missingClaim('claim "iss" is absent')
  if (expiresAt === undefined) throw missingClaim('claim "exp" is absent')
  if (subject === null) throw missingClaim(`claim ${quoted(config.claimSubject)} is absent or empty`)
  for (const name of rules.requiredClaims) {
    if (claimValue(payload, name) === undefined) throw missingClaim(`claim ${quoted(name)} is absent`)
  }
  for (const name of rules.headerMembers) {
    if (claimValue(header, name) === undefined) throw missingClaim(`header member ${quoted(name)} is absent`)
  }
  return { subject, issuer, expiresAt }
}

/** Stage `claim_time`; `now` and the claims are seconds. */
export function checkClaimTimes(payload: Record<string, unknown>, expiresAt: number, config: TrustedProxyAuthConfig, now: number): void {
  const tolerance = config.clockTolerance
  const nbf = claimValue(payload, 'nbf') as number | undefined
  const iat = claimValue(payload, 'iat') as number | undefined
  const n = numberText
  if (expiresAt <= now - tolerance) throw new TrustedProxyAuthError('expired', { detail: `exp ${n(expiresAt)} is not after now ${n(now)} - tolerance ${tolerance} s` })
  if (nbf !== undefined && nbf > now + tolerance) throw new TrustedProxyAuthError('not_yet_valid', { detail: `nbf ${n(nbf)} is after now ${n(now)} + tolerance ${tolerance} s` })
  if (iat !== undefined && iat > now + tolerance) throw new TrustedProxyAuthError('not_yet_valid', { detail: `iat ${n(iat)} is after now ${n(now)} + tolerance ${tolerance} s` })
  if (config.maxAge !== null && iat !== undefined && now - iat > config.maxAge + tolerance) {
    throw new TrustedProxyAuthError('expired', { detail: `iat ${n(iat)} is older than max age ${config.maxAge} s + tolerance ${tolerance} s at now ${n(now)}` })
  }
}

/** How far inside its edges `passingTimes` keeps its window: far more than the rounding of `now - tolerance` and
 * the like within WINDOW_LIMIT (one float step there is 2**-12 s), far less than any clock matters. */
const WINDOW_MARGIN = 0.001
/** Beyond 2**40 s (year 36,812) one float step nears the margin: no window is given there. */
const WINDOW_LIMIT = 2 ** 40
/** The empty window: every hit runs checkClaimTimes. */
export const NO_PASSING_TIMES: readonly [number, number] = Object.freeze([Infinity, -Infinity] as [number, number])

/**
 * `[earliest, latest]`: the times (seconds since the epoch) at which checkClaimTimes surely passes, so a cache
 * hit inside them need not run it; outside them it runs and decides (and throws `expired` / `not_yet_valid`).
 * Empty (NO_PASSING_TIMES) when a claim is not a finite number or an edge lies beyond 2**40 s. The same rule as
 * Python's `claims.passing_times`.
 */
export function passingTimes(payload: Record<string, unknown>, expiresAt: number, config: TrustedProxyAuthConfig): readonly [number, number] {
  const tolerance = config.clockTolerance
  let earliest = -Infinity
  let latest = expiresAt + tolerance
  for (const name of ['nbf', 'iat'] as const) {
    const claim = claimValue(payload, name)
    if (claim === undefined) continue
    if (typeof claim !== 'number') return NO_PASSING_TIMES
    earliest = Math.max(earliest, claim - tolerance)
  }
  const iat = claimValue(payload, 'iat')
  if (config.maxAge !== null && typeof iat === 'number') latest = Math.min(latest, iat + config.maxAge + tolerance)
  // An absent nbf and iat leave no lower edge to round (earliest stays -Infinity); NaN fails every comparison.
  if (!(latest > -WINDOW_LIMIT && latest < WINDOW_LIMIT) || !(earliest === -Infinity || (earliest > -WINDOW_LIMIT && earliest < WINDOW_LIMIT))) return NO_PASSING_TIMES
  return [earliest + WINDOW_MARGIN, latest - WINDOW_MARGIN]
}

/** Whether any of `values` is in `wanted` (a loop: no closure per verification). */
function sharesOne(values: readonly string[], wanted: readonly string[]): boolean {
  for (let i = 0; i < values.length; i++) if (wanted.includes(values[i]!)) return true
  return false
}

/** Stage `claim_values`: exact string comparisons only. Returns identity.audience. */
function checkClaimValues({ header, payload }: VerifiedContent, issuer: string, config: TrustedProxyAuthConfig, rules: ClaimRules, quirks: ActiveQuirks): readonly string[] {
  if (quirks.albSigner !== null) checkSigner(header, quirks.albSigner)
  if (quirks.albHeaderClaims) checkIssuersAgree(header, payload)
  if (!config.issuer.includes(issuer)) {
    throw new TrustedProxyAuthError('issuer_mismatch', { detail: `iss ${quoted(issuer)} is not one of ${quotedList(config.issuer)}` })
  }
  let audience: readonly string[]
  const aud = payload['aud']
  const single = quirks.albClientHeader || typeof aud !== 'string' ? undefined : rules.singleAudiences.get(aud)
  if (single !== undefined) {
    // The usual case: one audience, a configured one (so it matches).
    audience = single
  } else if (quirks.albClientHeader) {
    audience = Object.freeze(checkClientAudience(header, config))
  } else {
    audience = Object.freeze(asStringArray(aud))
    if (!sharesOne(audience, config.audience)) {
      throw new TrustedProxyAuthError('audience_mismatch', { detail: `aud ${quotedList(audience)} has none of ${quotedList(config.audience)}` })
    }
  }
  for (const rule of config.requiredClaims) {
    if (rule.value === null) continue
    const value = claimValue(payload, rule.name)
    const matches = value === rule.value || (Array.isArray(value) && value.includes(rule.value))
    if (!matches) throw new TrustedProxyAuthError('claim_mismatch', { detail: `claim ${quoted(rule.name)} does not equal or contain ${quoted(rule.value)}` })
  }
  return audience
}

/** Stages claim_types, claim_presence, claim_time and claim_values, in that order. */
export function checkClaims(content: VerifiedContent, config: TrustedProxyAuthConfig, quirks: ActiveQuirks, now: number): CheckedClaims {
  const rules = claimRulesFor(config, quirks)
  checkClaimTypes(content, rules, quirks)
  const { subject, issuer, expiresAt } = checkClaimPresence(content, config, rules, quirks)
  checkClaimTimes(content.payload, expiresAt, config, now)
  const audience = checkClaimValues(content, issuer, config, rules, quirks)
  return { subject, issuer, audience, expiresAt }
}

/** Stage `user_policy`. */
export function checkUserPolicy(identity: TrustedIdentity, config: TrustedProxyAuthConfig): void {
  if (config.allowedUsers.length === 0 && config.allowedGroups.length === 0) return
  const allowedUser = config.allowedUsers.includes(identity.subject) || (identity.email !== null && identity.emailVerified !== false && config.allowedUsers.includes(identity.email))
  const allowedGroup = identity.groups.some((group) => config.allowedGroups.includes(group))
  if (!allowedUser && !allowedGroup) {
    throw new TrustedProxyAuthError('forbidden_user', { detail: `subject ${quoted(identity.subject)} is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS` })
  }
}
