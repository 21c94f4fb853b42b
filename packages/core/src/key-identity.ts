import type { PublicJwk } from './key-set.js'

/** The members that decide what a key verifies and whether it may be used: its material and its restrictions. */
const IDENTIFYING_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y', 'kid', 'alg', 'use', 'key_ops'] as const

const fingerprints = new WeakMap<PublicJwk, string>()

/**
 * A text that is equal for two key-set members exactly when they are the same key with the same
 * restrictions, so that a refetched key set (new objects) still recognises the key a cached
 * verification was made with. Held in memory only, never logged.
 */
export function keyFingerprint(member: PublicJwk): string {
  let fingerprint = fingerprints.get(member)
  if (fingerprint === undefined) {
    fingerprint = JSON.stringify(IDENTIFYING_MEMBERS.map((name) => member[name] ?? null))
    fingerprints.set(member, fingerprint)
  }
  return fingerprint
}

/** Whether `member` (by fingerprint) is one of `members`. */
export function holdsKey(members: readonly PublicJwk[], member: PublicJwk): boolean {
  // The same object (no refetch since) is the common case: no fingerprint is looked up for it.
  if (members.includes(member)) return true
  const wanted = keyFingerprint(member)
  return members.some((candidate) => keyFingerprint(candidate) === wanted)
}
