import { claimValue } from '../claim-value.js'
import type { StagePlugs } from '../quirk-stages.js'

/**
 * Quirk subjectOptional (contract/presets.json): Cloudflare Access service tokens carry `sub: ""` and name the
 * caller in another claim (parameter `fallbackClaim`). Stage claim_types: the fallback claim, when present, is a
 * string. Stage claim_presence: when the subject claim is absent or empty, the fallback claim becomes the subject
 * when it is a non-empty string, else missing_claim.
 * @throws TypeError when the preset names no fallback claim (contract/presets.json gives it).
 */
export function subjectOptional(parameters: Readonly<Record<string, unknown>>): StagePlugs {
  const fallbackClaim = parameters['fallbackClaim']
  if (typeof fallbackClaim !== 'string') throw new TypeError('quirk subjectOptional needs its fallbackClaim parameter (contract/presets.json)')
  return {
    claimTypes: { payloadStrings: [fallbackClaim] },
    claimPresence: {
      subject: (payload) => {
        const fallback = claimValue(payload, fallbackClaim)
        return typeof fallback === 'string' && fallback !== '' ? fallback : null
      },
    },
  }
}
