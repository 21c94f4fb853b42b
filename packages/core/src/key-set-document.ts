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
  const keys = (document as { keys?: unknown } | null)?.keys
  if (document === null || typeof document !== 'object' || Array.isArray(document) || !Array.isArray(keys) || keys.some((key) => key === null || typeof key !== 'object' || Array.isArray(key))) {
    throw new FetchFailure('not a JSON Web Key Set')
  }
  if ((keys as PublicJwk[]).some(hasPrivateMaterial)) throw new FetchFailure('key set publishes private key material')
  return keys as PublicJwk[]
}
