import { claimValue } from '../claim-value.js'
import type { TrustedProxyAuthConfig } from '../config.js'
import { quoted, quotedList } from '../detail-text.js'
import { TrustedProxyAuthError } from '../errors.js'
import type { StagePlugs } from '../quirk-stages.js'

/**
 * Quirk albClientHeader, stage claim_values: ALB assertions carry no `aud`; the JOSE header `client` (the
 * OIDC client id of the listener rule) binds the assertion to this application instead. Types and presence
 * were checked before. Returns identity.audience.
 * @throws TrustedProxyAuthError `audience_mismatch` when `client` is none of TRUSTED_PROXY_AUDIENCE.
 */
export function checkClientAudience(header: Readonly<Record<string, unknown>>, config: TrustedProxyAuthConfig): string[] {
  const client = claimValue(header, 'client') as string
  if (!config.audience.includes(client)) {
    throw new TrustedProxyAuthError('audience_mismatch', { detail: `header member "client" ${quoted(client)} is not one of ${quotedList(config.audience)}` })
  }
  return [client]
}

/** The quirk's plug: header `client` a string (claim_types), present (claim_presence), and the audience (claim_values). */
export const albClientHeader = (): StagePlugs => ({ claimTypes: { requiredHeaderStrings: ['client'] }, claimValues: { audience: checkClientAudience } })
