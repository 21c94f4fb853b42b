import type { StagePlugs } from '../quirk-stages.js'

/**
 * Quirk noAudClaim, stage claim_presence (AWS ALB): the payload has no `aud`, so `aud` is not required. A present
 * `aud` keeps its type rule and is otherwise ignored: the quirk it requires (albClientHeader) binds the audience.
 */
export const noAudClaim = (): StagePlugs => ({ claimPresence: { audienceOptional: true } })
