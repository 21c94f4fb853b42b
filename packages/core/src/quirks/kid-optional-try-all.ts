import type { StagePlugs } from '../quirk-stages.js'

/**
 * Quirk kidOptionalTryAll, stage key_lookup (Teleport): assertions may carry no `kid`; such an assertion is
 * tried against every key of the set, and the set is refetched once when none verifies it.
 */
export const kidOptionalTryAll = (): StagePlugs => ({ keyLookup: { kidlessTriesEveryKey: true } })
