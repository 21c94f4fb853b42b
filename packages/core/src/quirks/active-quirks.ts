import type { TrustedProxyAuthConfig } from '../config.js'

/** The quirks of contract/presets.json a configuration switches on, in the form the checks read them. */
export interface ActiveQuirks {
  /** subjectOptional: the claim that becomes the subject when the subject claim is absent or empty. */
  readonly subjectFallbackClaim: string | null
  readonly paddedBase64url: boolean
  readonly kidUuid: boolean
  /** albSignerHeader: the load balancer ARN the `signer` header must equal. */
  readonly albSigner: string | null
  readonly albClientHeader: boolean
  readonly albHeaderClaims: boolean
  readonly noAudClaim: boolean
  readonly emailVerifiedString: boolean
  readonly kidOptionalTryAll: boolean
  readonly sharedSecretHS256: boolean
}

export function activeQuirks(config: TrustedProxyAuthConfig): ActiveQuirks {
  const quirks = config.presetQuirks
  const on = (name: string): boolean => Object.prototype.hasOwnProperty.call(quirks, name)
  const fallbackClaim = quirks['subjectOptional']?.['fallbackClaim']
  return Object.freeze({
    subjectFallbackClaim: on('subjectOptional') && typeof fallbackClaim === 'string' ? fallbackClaim : null,
    paddedBase64url: on('paddedBase64url'),
    kidUuid: on('kidUuid'),
    albSigner: on('albSignerHeader') ? config.awsAlbArn : null,
    albClientHeader: on('albClientHeader'),
    albHeaderClaims: on('albHeaderClaims'),
    noAudClaim: on('noAudClaim'),
    emailVerifiedString: on('emailVerifiedString'),
    kidOptionalTryAll: on('kidOptionalTryAll'),
    sharedSecretHS256: on('sharedSecretHS256'),
  })
}

/** No quirk at all: the plain rules of contract/checks.json. */
export const NO_QUIRKS: ActiveQuirks = Object.freeze({
  subjectFallbackClaim: null,
  paddedBase64url: false,
  kidUuid: false,
  albSigner: null,
  albClientHeader: false,
  albHeaderClaims: false,
  noAudClaim: false,
  emailVerifiedString: false,
  kidOptionalTryAll: false,
  sharedSecretHS256: false,
})
