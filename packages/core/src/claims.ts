import type { TrustedProxyAuthConfig } from './config.js'
import { TrustedProxyAuthError } from './errors.js'
import { asStringArray, claimValue, type TrustedIdentity } from './identity.js'
import type { ActiveQuirks } from './quirks/active-quirks.js'
import { checkClientAudience } from './quirks/alb-client-header.js'
import { albExpiry, albHeaderClaimTypesValid, albIssuer, checkIssuersAgree } from './quirks/alb-header-claims.js'
import { checkSigner } from './quirks/alb-signer-header.js'
import { subjectWithFallback } from './quirks/subject-optional.js'

const isString = (value: unknown): value is string => typeof value === 'string'
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString)
const isStringOrStrings = (value: unknown): boolean => isString(value) || isStringArray(value)
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/** The claims the identity is built from once every check passed (the quirks may take them from elsewhere). */
export interface CheckedClaims {
  readonly subject: string
  readonly issuer: string
  readonly audience: string[]
  readonly expiresAt: number
}

/** The verified protected header and payload. */
export interface VerifiedContent {
  readonly header: Record<string, unknown>
  readonly payload: Record<string, unknown>
}

/** Stage `claim_types`: a present claim of the wrong JSON type is malformed, never coerced. */
function checkClaimTypes({ header, payload }: VerifiedContent, config: TrustedProxyAuthConfig, quirks: ActiveQuirks): void {
  const rules: Array<[string, (value: unknown) => boolean]> = [
    ['exp', isFiniteNumber],
    ['nbf', isFiniteNumber],
    ['iat', isFiniteNumber],
    ['iss', isString],
    ['aud', isStringOrStrings],
    [config.claimSubject, isString],
    [config.claimEmail, isString],
    [config.claimName, isString],
    [config.claimGroups, isStringOrStrings],
  ]
  if (quirks.subjectFallbackClaim !== null) rules.push([quirks.subjectFallbackClaim, isString])
  for (const [name, valid] of rules) {
    const value = claimValue(payload, name)
    if (value !== undefined && !valid(value)) throw new TrustedProxyAuthError('malformed_assertion')
  }
  const headerRules: Array<[string, boolean]> = [
    ['signer', quirks.albSigner !== null],
    ['client', quirks.albClientHeader],
  ]
  for (const [name, active] of headerRules) {
    const value = claimValue(header, name)
    if (active && value !== undefined && !isString(value)) throw new TrustedProxyAuthError('malformed_assertion')
  }
  if (quirks.albHeaderClaims && !albHeaderClaimTypesValid(header)) throw new TrustedProxyAuthError('malformed_assertion')
}

interface PresentClaims {
  readonly subject: string
  readonly issuer: string
  readonly expiresAt: number
}

/** Stage `claim_presence`. */
function checkClaimPresence({ header, payload }: VerifiedContent, config: TrustedProxyAuthConfig, quirks: ActiveQuirks): PresentClaims {
  const issuer = quirks.albHeaderClaims ? albIssuer(header, payload) : (claimValue(payload, 'iss') as string | undefined)
  const expiresAt = quirks.albHeaderClaims ? albExpiry(header, payload) : (claimValue(payload, 'exp') as number | undefined)
  const subjectClaim = claimValue(payload, config.claimSubject)
  const subject =
    quirks.subjectFallbackClaim !== null
      ? subjectWithFallback(payload, config.claimSubject, quirks.subjectFallbackClaim)
      : subjectClaim === undefined || subjectClaim === ''
        ? null
        : (subjectClaim as string)
  const required = [...(quirks.noAudClaim ? [] : ['aud']), ...(config.maxAge !== null ? ['iat'] : []), ...config.requiredClaims.map((rule) => rule.name)]
  const requiredHeader = [...(quirks.albSigner !== null ? ['signer'] : []), ...(quirks.albClientHeader ? ['client'] : [])]
  if (
    issuer === undefined ||
    expiresAt === undefined ||
    subject === null ||
    required.some((name) => claimValue(payload, name) === undefined) ||
    requiredHeader.some((name) => claimValue(header, name) === undefined)
  ) {
    throw new TrustedProxyAuthError('missing_claim')
  }
  return { subject, issuer, expiresAt }
}

/** Stage `claim_time`; `now` and the claims are seconds. */
export function checkClaimTimes(payload: Record<string, unknown>, expiresAt: number, config: TrustedProxyAuthConfig, now: number): void {
  const tolerance = config.clockTolerance
  const nbf = claimValue(payload, 'nbf') as number | undefined
  const iat = claimValue(payload, 'iat') as number | undefined
  if (expiresAt <= now - tolerance) throw new TrustedProxyAuthError('expired')
  if (nbf !== undefined && nbf > now + tolerance) throw new TrustedProxyAuthError('not_yet_valid')
  if (iat !== undefined && iat > now + tolerance) throw new TrustedProxyAuthError('not_yet_valid')
  if (config.maxAge !== null && iat !== undefined && now - iat > config.maxAge + tolerance) throw new TrustedProxyAuthError('expired')
}

/** Stage `claim_values`: exact string comparisons only. Returns identity.audience. */
function checkClaimValues({ header, payload }: VerifiedContent, issuer: string, config: TrustedProxyAuthConfig, quirks: ActiveQuirks): string[] {
  if (quirks.albSigner !== null) checkSigner(header, quirks.albSigner)
  if (quirks.albHeaderClaims) checkIssuersAgree(header, payload)
  if (!config.issuer.includes(issuer)) throw new TrustedProxyAuthError('issuer_mismatch')
  let audience: string[]
  if (quirks.albClientHeader) {
    audience = checkClientAudience(header, config)
  } else {
    audience = asStringArray(payload['aud'])
    if (!audience.some((aud) => config.audience.includes(aud))) throw new TrustedProxyAuthError('audience_mismatch')
  }
  for (const rule of config.requiredClaims) {
    if (rule.value === null) continue
    const value = claimValue(payload, rule.name)
    const matches = value === rule.value || (Array.isArray(value) && value.includes(rule.value))
    if (!matches) throw new TrustedProxyAuthError('claim_mismatch')
  }
  return audience
}

/** Stages claim_types, claim_presence, claim_time and claim_values, in that order. */
export function checkClaims(content: VerifiedContent, config: TrustedProxyAuthConfig, quirks: ActiveQuirks, now: number): CheckedClaims {
  checkClaimTypes(content, config, quirks)
  const { subject, issuer, expiresAt } = checkClaimPresence(content, config, quirks)
  checkClaimTimes(content.payload, expiresAt, config, now)
  const audience = checkClaimValues(content, issuer, config, quirks)
  return { subject, issuer, audience, expiresAt }
}

/** Stage `user_policy`. */
export function checkUserPolicy(identity: TrustedIdentity, config: TrustedProxyAuthConfig): void {
  if (config.allowedUsers.length === 0 && config.allowedGroups.length === 0) return
  const allowedUser = config.allowedUsers.includes(identity.subject) || (identity.email !== null && identity.emailVerified !== false && config.allowedUsers.includes(identity.email))
  const allowedGroup = identity.groups.some((group) => config.allowedGroups.includes(group))
  if (!allowedUser && !allowedGroup) throw new TrustedProxyAuthError('forbidden_user')
}
