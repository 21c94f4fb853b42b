import { quoted } from '../detail-text.js'
import { TrustedProxyAuthError } from '../errors.js'
import { claimValue } from '../identity.js'

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/**
 * Quirk albHeaderClaims: ALB puts `iss` and `exp` in the JOSE header; the payload (the IdP's userinfo
 * answer) may repeat them. Stage claim_types: header `iss` a string and `exp` a finite number when present.
 */
export function albHeaderClaimTypesValid(header: Record<string, unknown>): boolean {
  const iss = claimValue(header, 'iss')
  const exp = claimValue(header, 'exp')
  return (iss === undefined || typeof iss === 'string') && (exp === undefined || isFiniteNumber(exp))
}

/** The issuer: header `iss` when present, else payload `iss`; undefined when neither is (missing_claim). */
export function albIssuer(header: Record<string, unknown>, payload: Record<string, unknown>): string | undefined {
  return (claimValue(header, 'iss') ?? claimValue(payload, 'iss')) as string | undefined
}

/** The expiry: the earlier of header and payload `exp` among those present; undefined when neither is. */
export function albExpiry(header: Record<string, unknown>, payload: Record<string, unknown>): number | undefined {
  const present = [claimValue(header, 'exp'), claimValue(payload, 'exp')].filter((value): value is number => value !== undefined)
  return present.length === 0 ? undefined : Math.min(...present)
}

/** Stage claim_values: a header `iss` and a payload `iss` that disagree name two different issuers. */
export function checkIssuersAgree(header: Record<string, unknown>, payload: Record<string, unknown>): void {
  const headerIssuer = claimValue(header, 'iss')
  const payloadIssuer = claimValue(payload, 'iss')
  if (headerIssuer !== undefined && payloadIssuer !== undefined && headerIssuer !== payloadIssuer) {
    throw new TrustedProxyAuthError('issuer_mismatch', { detail: `header iss ${quoted(headerIssuer)} differs from payload iss ${quoted(payloadIssuer)}` })
  }
}
