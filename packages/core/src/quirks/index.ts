import type { TrustedProxyAuthConfig } from '../config.js'
import { PRESETS_CONTRACT } from '../generated/contract.js'
import { combineStagePlugs, type QuirkStages, type StagePlugs } from '../quirk-stages.js'
import { albClientHeader } from './alb-client-header.js'
import { albHeaderClaims } from './alb-header-claims.js'
import { albSignerHeader } from './alb-signer-header.js'
import { emailVerifiedString } from './email-verified-string.js'
import { kidOptionalTryAll } from './kid-optional-try-all.js'
import { kidUuid } from './kid-uuid.js'
import { noAudClaim } from './no-aud-claim.js'
import { paddedBase64url } from './padded-base64url.js'
import { subjectOptional } from './subject-optional.js'

type QuirkPlugs = (parameters: Readonly<Record<string, unknown>>, config: TrustedProxyAuthConfig) => StagePlugs

/**
 * Every quirk of contract/presets.json by its contract name, with the plugs it puts into the verification stages.
 * sharedSecretHS256 plugs none: it decides the key source and the algorithm list when the configuration is loaded
 * (presets.ts, config.ts), and the stages then run unchanged.
 */
export const QUIRK_PLUGS: Readonly<Record<string, QuirkPlugs>> = Object.freeze({
  subjectOptional,
  paddedBase64url,
  kidUuid,
  albSignerHeader,
  albClientHeader,
  albHeaderClaims,
  noAudClaim,
  emailVerifiedString,
  kidOptionalTryAll,
  sharedSecretHS256: () => ({}),
})

/** The contract's quirks in its order: plugs that add to a list (checks before the issuer) run in this order. */
const CONTRACT_QUIRKS = Object.keys(PRESETS_CONTRACT.quirks)

/**
 * The stages' plugs for the quirks `config`'s preset switches on (config.presetQuirks), combined.
 * @throws TypeError for a quirk this library has no plugs for (a contract newer than the code).
 */
export function quirkStagesFor(config: TrustedProxyAuthConfig): QuirkStages {
  const switchedOn = Object.keys(config.presetQuirks)
  for (const name of switchedOn) {
    if (!Object.hasOwn(QUIRK_PLUGS, name)) throw new TypeError(`quirk ${name} has no plugs in this library`)
  }
  const ordered = CONTRACT_QUIRKS.filter((name) => switchedOn.includes(name))
  return combineStagePlugs(ordered.map((name) => [name, QUIRK_PLUGS[name]!(config.presetQuirks[name] ?? {}, config)] as const))
}
