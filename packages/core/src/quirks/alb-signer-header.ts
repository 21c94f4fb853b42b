import { claimValue } from '../claim-value.js'
import type { TrustedProxyAuthConfig } from '../config.js'
import { quoted } from '../detail-text.js'
import { TrustedProxyAuthError } from '../errors.js'
import type { StagePlugs } from '../quirk-stages.js'

/**
 * Stage claim_values, before the issuer: every ALB of a region signs with the same regional keys, so only
 * the `signer` header tells whether this load balancer (and not another customer's) minted the assertion.
 * @throws TrustedProxyAuthError `issuer_mismatch`.
 */
export function checkSigner(header: Readonly<Record<string, unknown>>, arn: string): void {
  const signer = claimValue(header, 'signer')
  if (signer !== arn) {
    throw new TrustedProxyAuthError('issuer_mismatch', { detail: `header member "signer" ${quoted(signer)} is not TRUSTED_PROXY_AWS_ALB_ARN ${quoted(arn)}` })
  }
}

/**
 * The quirk's plug: header `signer` a string (claim_types), present (claim_presence), and equal to
 * TRUSTED_PROXY_AWS_ALB_ARN before the issuer is checked (claim_values).
 * @throws TrustedProxyAuthError `invalid_config` when the configuration has no ARN.
 */
export function albSignerHeader(_parameters: Readonly<Record<string, unknown>>, config: TrustedProxyAuthConfig): StagePlugs {
  const arn = config.awsAlbArn
  // loadConfig requires the ARN with the preset; a configuration built without it is refused here, rather than
  // every request later with an issuer_mismatch that would look like the tokens' fault.
  if (arn === null) throw new TrustedProxyAuthError('invalid_config', { problems: [{ variable: 'TRUSTED_PROXY_AWS_ALB_ARN', message: 'is required by quirk albSignerHeader' }] })
  return { claimTypes: { requiredHeaderStrings: ['signer'] }, claimValues: { beforeIssuer: (header) => checkSigner(header, arn) } }
}
