import type { StagePlugs } from '../quirk-stages.js'

const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/

/**
 * Quirk kidUuid, stage key_lookup: the kid goes into a key URL, so nothing but a UUID (hex digits and
 * `-`) may reach it. Checked before any cache lookup or fetch.
 */
export function isUuidKid(kid: string | undefined): kid is string {
  return kid !== undefined && UUID.test(kid)
}

/** The quirk's plug: any other kid (or none) is unknown_key before any key is looked up. */
export const kidUuid = (): StagePlugs => ({ keyLookup: { kidAccepted: isUuidKid } })
