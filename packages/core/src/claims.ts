import type { TrustedProxyAuthConfig } from './config.js'
import { TrustedProxyAuthError } from './errors.js'
import { asStringArray, claimValue, type TrustedIdentity } from './identity.js'

const isString = (value: unknown): value is string => typeof value === 'string'
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString)
const isStringOrStrings = (value: unknown): boolean => isString(value) || isStringArray(value)
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/** Stage `claim_types`: a present claim of the wrong JSON type is malformed, never coerced. */
function checkClaimTypes(payload: Record<string, unknown>, config: TrustedProxyAuthConfig): void {
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
  for (const [name, valid] of rules) {
    const value = claimValue(payload, name)
    if (value !== undefined && !valid(value)) throw new TrustedProxyAuthError('malformed_assertion')
  }
}

/** Stage `claim_presence`. */
function checkClaimPresence(payload: Record<string, unknown>, config: TrustedProxyAuthConfig): void {
  const required = ['iss', 'aud', 'exp', ...(config.maxAge !== null ? ['iat'] : []), ...config.requiredClaims.map((rule) => rule.name)]
  if (required.some((name) => claimValue(payload, name) === undefined) || claimValue(payload, config.claimSubject) === '' || claimValue(payload, config.claimSubject) === undefined) {
    throw new TrustedProxyAuthError('missing_claim')
  }
}

/** Stage `claim_time`; `now` and the claims are seconds. */
function checkClaimTimes(payload: Record<string, unknown>, config: TrustedProxyAuthConfig, now: number): void {
  const tolerance = config.clockTolerance
  const exp = payload['exp'] as number
  const nbf = claimValue(payload, 'nbf') as number | undefined
  const iat = claimValue(payload, 'iat') as number | undefined
  if (exp <= now - tolerance) throw new TrustedProxyAuthError('expired')
  if (nbf !== undefined && nbf > now + tolerance) throw new TrustedProxyAuthError('not_yet_valid')
  if (iat !== undefined && iat > now + tolerance) throw new TrustedProxyAuthError('not_yet_valid')
  if (config.maxAge !== null && iat !== undefined && now - iat > config.maxAge + tolerance) throw new TrustedProxyAuthError('expired')
}

/** Stage `claim_values`: exact string comparisons only. */
function checkClaimValues(payload: Record<string, unknown>, config: TrustedProxyAuthConfig): void {
  if (!config.issuer.includes(payload['iss'] as string)) throw new TrustedProxyAuthError('issuer_mismatch')
  const audiences = asStringArray(payload['aud'])
  if (!audiences.some((aud) => config.audience.includes(aud))) throw new TrustedProxyAuthError('audience_mismatch')
  for (const rule of config.requiredClaims) {
    if (rule.value === null) continue
    const value = claimValue(payload, rule.name)
    const matches = value === rule.value || (Array.isArray(value) && value.includes(rule.value))
    if (!matches) throw new TrustedProxyAuthError('claim_mismatch')
  }
}

export function checkClaims(payload: Record<string, unknown>, config: TrustedProxyAuthConfig, now: number): void {
  checkClaimTypes(payload, config)
  checkClaimPresence(payload, config)
  checkClaimTimes(payload, config, now)
  checkClaimValues(payload, config)
}

/** Stage `user_policy`. */
export function checkUserPolicy(identity: TrustedIdentity, config: TrustedProxyAuthConfig): void {
  if (config.allowedUsers.length === 0 && config.allowedGroups.length === 0) return
  const allowedUser = config.allowedUsers.includes(identity.subject) || (identity.email !== null && identity.emailVerified !== false && config.allowedUsers.includes(identity.email))
  const allowedGroup = identity.groups.some((group) => config.allowedGroups.includes(group))
  if (!allowedUser && !allowedGroup) throw new TrustedProxyAuthError('forbidden_user')
}
