import { claimValue, isFiniteNumber } from '../claim-value.js'
import { quoted } from '../detail-text.js'
import { TrustedProxyAuthError } from '../errors.js'
import type { StagePlugs } from '../quirk-stages.js'

type JsonObject = Readonly<Record<string, unknown>>

/**
 * Quirk albHeaderClaims: ALB puts `iss` and `exp` in the JOSE header; the payload (the IdP's userinfo
 * answer) may repeat them. Stage claim_types: header `iss` a string and `exp` a finite number when present;
 * the detail of the first that is not, or null.
 */
export function headerClaimTypeProblem(header: JsonObject): string | null {
  const iss = claimValue(header, 'iss')
  if (iss !== undefined && typeof iss !== 'string') return 'header member "iss" is not a string'
  const exp = claimValue(header, 'exp')
  if (exp !== undefined && !isFiniteNumber(exp)) return 'header member "exp" is not a number'
  return null
}

/** The issuer: header `iss` when present, else payload `iss`; undefined when neither is (missing_claim). */
export function albIssuer(header: JsonObject, payload: JsonObject): string | undefined {
  return (claimValue(header, 'iss') ?? claimValue(payload, 'iss')) as string | undefined
}

/** The expiry: the earlier of header and payload `exp` among those present; undefined when neither is. */
export function albExpiry(header: JsonObject, payload: JsonObject): number | undefined {
  const present = [claimValue(header, 'exp'), claimValue(payload, 'exp')].filter((value): value is number => value !== undefined)
  return present.length === 0 ? undefined : Math.min(...present)
}

/**
 * Stage claim_values: a header `iss` and a payload `iss` that disagree name two different issuers.
 * @throws TrustedProxyAuthError `issuer_mismatch`.
 */
export function checkIssuersAgree(header: JsonObject, payload: JsonObject): void {
  const headerIssuer = claimValue(header, 'iss')
  const payloadIssuer = claimValue(payload, 'iss')
  if (headerIssuer !== undefined && payloadIssuer !== undefined && headerIssuer !== payloadIssuer) {
    throw new TrustedProxyAuthError('issuer_mismatch', { detail: `header iss ${quoted(headerIssuer)} differs from payload iss ${quoted(payloadIssuer)}` })
  }
}

/** The quirk's plug. */
export const albHeaderClaims = (): StagePlugs => ({
  claimTypes: { headerTypes: headerClaimTypeProblem },
  claimPresence: { issuer: albIssuer, expiry: albExpiry },
  claimValues: { beforeIssuer: checkIssuersAgree },
})
