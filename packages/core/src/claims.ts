import { asStringArray, claimValue, isFiniteNumber, ownMember } from './claim-value.js'
import type { TrustedProxyAuthConfig } from './config.js'
import { numberText, quoted, quotedList } from './detail-text.js'
import { TrustedProxyAuthError } from './errors.js'
import type { QuirkStages } from './quirk-stages.js'

type JsonObject = Readonly<Record<string, unknown>>

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false
  return true
}
const isStringOrStrings = (value: unknown): value is string | string[] => typeof value === 'string' || isStringArray(value)

const malformed = (detail: string): TrustedProxyAuthError => new TrustedProxyAuthError('malformed_assertion', { detail })
const notA = (name: string, wanted: string): TrustedProxyAuthError => malformed(`claim ${quoted(name)} is not ${wanted}`)
const A_NUMBER = 'a number'
const A_STRING = 'a string'
const STRINGS = 'a string or an array of strings'
const missingClaim = (detail: string): TrustedProxyAuthError => new TrustedProxyAuthError('missing_claim', { detail })

/** What the claim stages found, every claim type-checked: what the identity is built from. */
export interface CheckedClaims {
  /** The subject claim (TRUSTED_PROXY_CLAIM_SUBJECT), or what a quirk's claim_presence plug gave. */
  readonly subject: string
  readonly issuer: string
  /** Frozen (identity.audience as it is); a one-audience array may be shared by every verification under the configuration. */
  readonly audience: readonly string[]
  /** Seconds since the epoch. */
  readonly expiresAt: number
  /** `iat` (seconds), when present. */
  readonly issuedAt: number | undefined
  /** The email, name and groups claims (TRUSTED_PROXY_CLAIM_EMAIL, _NAME, _GROUPS), when present. */
  readonly email: string | undefined
  readonly name: string | undefined
  readonly groups: string | readonly string[] | undefined
}

/** Stages claim_types, claim_presence, claim_time and claim_values for one configuration; `now` in seconds. */
export type ClaimCheck = (header: JsonObject, payload: JsonObject, now: number) => CheckedClaims

/**
 * The claim stages of contract/checks.json under `config`, with the plugs of its preset's quirks: built once per
 * configuration (everything the configuration decides is settled here), then called for every verification,
 * reading each claim once.
 * The check throws TrustedProxyAuthError: `malformed_assertion` (claim_types: a present claim of the wrong JSON
 * type, never coerced), `missing_claim` (claim_presence), `expired` / `not_yet_valid` (claim_time, see
 * checkClaimTimes), `issuer_mismatch` / `audience_mismatch` / `claim_mismatch` (claim_values: exact string
 * comparisons only), each stage in that order and, within a stage, the claims in the contract's order.
 */
export function claimCheckFor(config: TrustedProxyAuthConfig, stages: QuirkStages): ClaimCheck {
  const { claimSubject, claimEmail, claimName, claimGroups, maxAge } = config
  const issuers = config.issuer
  // identity.audience of an `aud` string that is one of the configured audiences: frozen once, not per verification.
  const singleAudiences = new Map(config.audience.map((aud) => [aud, Object.freeze([aud])]))
  // The first configured issuer and audience, compared before any lookup: most configurations have one of each.
  const firstIssuer = issuers[0]
  const firstAudience = config.audience[0]
  const firstSingleAudience = firstAudience === undefined ? undefined : singleAudiences.get(firstAudience)
  const requiresAud = !stages.audienceOptional
  const requiresIat = maxAge !== null
  const requiredNames = config.requiredClaims.map((rule) => rule.name)
  const requiredValues = config.requiredClaims.filter((rule) => rule.value !== null) as readonly { name: string; value: string }[]
  const { payloadStrings, requiredHeaderStrings, headerTypes, issuer: issuerPlug, expiry: expiryPlug, subject: subjectPlug, beforeIssuer, audience: audiencePlug } = stages

  return function checkClaims(header, payload, now) {
    // claim_types, in the contract's order: exp, nbf, iat, iss, aud, then the mapped claims. Each read at a
    // site of its own (ownMember).
    const exp = ownMember(payload, 'exp', payload['exp'])
    if (exp !== undefined && !isFiniteNumber(exp)) throw notA('exp', A_NUMBER)
    const nbf = ownMember(payload, 'nbf', payload['nbf'])
    if (nbf !== undefined && !isFiniteNumber(nbf)) throw notA('nbf', A_NUMBER)
    const iat = ownMember(payload, 'iat', payload['iat'])
    if (iat !== undefined && !isFiniteNumber(iat)) throw notA('iat', A_NUMBER)
    const iss = ownMember(payload, 'iss', payload['iss'])
    if (iss !== undefined && typeof iss !== 'string') throw notA('iss', A_STRING)
    const aud = ownMember(payload, 'aud', payload['aud'])
    if (aud !== undefined && !isStringOrStrings(aud)) throw notA('aud', STRINGS)
    const subjectClaim = ownMember(payload, claimSubject, payload[claimSubject])
    if (subjectClaim !== undefined && typeof subjectClaim !== 'string') throw notA(claimSubject, A_STRING)
    const email = ownMember(payload, claimEmail, payload[claimEmail])
    if (email !== undefined && typeof email !== 'string') throw notA(claimEmail, A_STRING)
    const name = ownMember(payload, claimName, payload[claimName])
    if (name !== undefined && typeof name !== 'string') throw notA(claimName, A_STRING)
    const groups = ownMember(payload, claimGroups, payload[claimGroups])
    if (groups !== undefined && !isStringOrStrings(groups)) throw notA(claimGroups, STRINGS)
    for (let i = 0; i < payloadStrings.length; i++) {
      const value = claimValue(payload, payloadStrings[i]!)
      if (value !== undefined && typeof value !== 'string') throw notA(payloadStrings[i]!, A_STRING)
    }
    for (let i = 0; i < requiredHeaderStrings.length; i++) {
      const value = claimValue(header, requiredHeaderStrings[i]!)
      if (value !== undefined && typeof value !== 'string') throw malformed(`header member ${quoted(requiredHeaderStrings[i]!)} is not ${A_STRING}`)
    }
    if (headerTypes !== null) {
      const problem = headerTypes(header)
      if (problem !== null) throw malformed(problem)
    }

    // claim_presence: the first missing claim in the contract's order (errors.json `missing_claim` detail).
    const issuer = issuerPlug !== null ? issuerPlug(header, payload) : iss
    const expiresAt = expiryPlug !== null ? expiryPlug(header, payload) : exp
    let subject = subjectClaim === undefined || subjectClaim === '' ? null : subjectClaim
    if (subject === null && subjectPlug !== null) subject = subjectPlug(payload)
    if (issuer === undefined) throw missingClaim('claim "iss" is absent')
    if (expiresAt === undefined) throw missingClaim('claim "exp" is absent')
    if (subject === null) throw missingClaim(`claim ${quoted(claimSubject)} is absent or empty`)
    if (requiresAud && aud === undefined) throw missingClaim('claim "aud" is absent')
    if (requiresIat && iat === undefined) throw missingClaim('claim "iat" is absent')
    for (let i = 0; i < requiredNames.length; i++) {
      if (claimValue(payload, requiredNames[i]!) === undefined) throw missingClaim(`claim ${quoted(requiredNames[i]!)} is absent`)
    }
    for (let i = 0; i < requiredHeaderStrings.length; i++) {
      if (claimValue(header, requiredHeaderStrings[i]!) === undefined) throw missingClaim(`header member ${quoted(requiredHeaderStrings[i]!)} is absent`)
    }

    claimTimes(expiresAt, nbf, iat, config, now)

    // claim_values: exact string comparisons only.
    for (let i = 0; i < beforeIssuer.length; i++) beforeIssuer[i]!(header, payload)
    if (issuer !== firstIssuer && !issuers.includes(issuer)) {
      throw new TrustedProxyAuthError('issuer_mismatch', { detail: `iss ${quoted(issuer)} is not one of ${quotedList(issuers)}` })
    }
    let audience: readonly string[]
    const single = audiencePlug !== null || typeof aud !== 'string' ? undefined : aud === firstAudience ? firstSingleAudience : singleAudiences.get(aud)
    if (single !== undefined) {
      // The usual case: one audience, a configured one (so it matches).
      audience = single
    } else if (audiencePlug !== null) {
      audience = Object.freeze(audiencePlug(header, config))
    } else {
      audience = Object.freeze(asStringArray(aud))
      if (!sharesOne(audience, config.audience)) {
        throw new TrustedProxyAuthError('audience_mismatch', { detail: `aud ${quotedList(audience)} has none of ${quotedList(config.audience)}` })
      }
    }
    for (let i = 0; i < requiredValues.length; i++) {
      const rule = requiredValues[i]!
      const value = claimValue(payload, rule.name)
      const matches = value === rule.value || (Array.isArray(value) && value.includes(rule.value))
      if (!matches) throw new TrustedProxyAuthError('claim_mismatch', { detail: `claim ${quoted(rule.name)} does not equal or contain ${quoted(rule.value)}` })
    }
    return { subject, issuer, audience, expiresAt, issuedAt: iat, email, name, groups }
  }
}

/**
 * Stage `claim_time` on a payload whose claim types were checked (a cache hit's); `now` and the claims are seconds.
 * @throws TrustedProxyAuthError `expired` (exp not after now - tolerance, or iat older than TRUSTED_PROXY_MAX_AGE
 * + tolerance) or `not_yet_valid` (nbf or iat after now + tolerance); RFC 7519 sections 4.1.4, 4.1.5.
 */
export function checkClaimTimes(payload: JsonObject, expiresAt: number, config: TrustedProxyAuthConfig, now: number): void {
  claimTimes(expiresAt, claimValue(payload, 'nbf') as number | undefined, claimValue(payload, 'iat') as number | undefined, config, now)
}

function claimTimes(expiresAt: number, nbf: number | undefined, iat: number | undefined, config: TrustedProxyAuthConfig, now: number): void {
  const tolerance = config.clockTolerance
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
export function passingTimes(payload: JsonObject, expiresAt: number, config: TrustedProxyAuthConfig): readonly [number, number] {
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
