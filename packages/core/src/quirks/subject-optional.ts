import { claimValue } from '../identity.js'

/**
 * Quirk subjectOptional, stage claim_presence: Cloudflare Access service tokens carry `sub: ""` and name
 * the caller in another claim. The subject is the subject claim when it is a non-empty string, else the
 * fallback claim when that is a non-empty string, else null (missing_claim). Types were checked before.
 */
export function subjectWithFallback(payload: Record<string, unknown>, subjectClaim: string, fallbackClaim: string): string | null {
  const subject = claimValue(payload, subjectClaim)
  if (subject !== undefined && subject !== '') return subject as string
  const fallback = claimValue(payload, fallbackClaim)
  return typeof fallback === 'string' && fallback !== '' ? fallback : null
}
