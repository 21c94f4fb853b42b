import { ownMembersCopy } from './claim-value.js'
import { FetchFailure } from './key-fetch.js'
import { hasPrivateMaterial, type PublicJwk } from './key-set.js'

/** The largest key set document read, from a URL or a file (bytes). */
export const MAX_KEY_SET_BYTES = 1024 * 1024

/**
 * The members of a JSON Web Key Set document (RFC 7517 section 5): an object whose `keys` is an array of
 * objects. Whatever the origin (a URL, a file, inline configuration) the same rules apply; a set publishing
 * private key material is refused whole, because its signing key has leaked. Throws FetchFailure with the
 * cause in words ("invalid JSON", "not a JSON Web Key Set", "key set publishes private key material"),
 * never the key material.
 */
export function parseKeySetDocument(text: string): PublicJwk[] {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch {
    throw new FetchFailure('invalid JSON')
  }
  const keys = keySetMembers(document)
  if (keys === null || keys.some((key) => key === null)) throw new FetchFailure('not a JSON Web Key Set')
  if ((keys as PublicJwk[]).some(hasPrivateMaterial)) throw new FetchFailure('key set publishes private key material')
  return keys as PublicJwk[]
}

/**
 * The `keys` of a parsed key set document (RFC 7517 section 5), each member a keySetMember copy and null where it
 * is not a JSON object; null when the document is not an object with a `keys` array of its own.
 */
export function keySetMembers(document: unknown): (PublicJwk | null)[] | null {
  if (document === null || typeof document !== 'object' || Array.isArray(document) || !Object.hasOwn(document, 'keys')) return null
  const keys = (document as { keys: unknown }).keys
  if (!Array.isArray(keys)) return null
  return keys.map((key: unknown) => (key !== null && typeof key === 'object' && !Array.isArray(key) ? keySetMember(key) : null))
}

/**
 * A key set member as its own enumerable members, frozen, in a record without a prototype: our reads and jose's
 * JWK import see only what the document published, never a member Object.prototype was given (prototype
 * pollution: an EC key without `crv` would otherwise take an inherited one). node:crypto's JWK import builds a
 * plain object of its own and reads through its prototype; what that lets in (a `d`) only refuses keys.
 */
export function keySetMember(member: object): PublicJwk {
  return Object.freeze(ownMembersCopy(member))
}
