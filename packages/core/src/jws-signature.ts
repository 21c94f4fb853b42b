import { flattenedVerify, importJWK, type CryptoKey } from 'jose'
import type { ParsedCompactJws } from './compact-jws.js'
import type { PublicJwk } from './key-set.js'

const importedKeys = new WeakMap<PublicJwk, Map<string, Promise<CryptoKey | Uint8Array>>>()

/** The verification key of a key-set member for `alg`, imported once per member and algorithm. */
export function importPublicKey(member: PublicJwk, alg: string): Promise<CryptoKey | Uint8Array> {
  let byAlg = importedKeys.get(member)
  if (!byAlg) importedKeys.set(member, (byAlg = new Map()))
  let key = byAlg.get(alg)
  if (!key) {
    // key_ops was already checked for `verify`; jose refuses to import a public key that also lists `sign`.
    const { key_ops: _keyOps, ...jwk } = member
    byAlg.set(alg, (key = importJWK(jwk as Parameters<typeof importJWK>[0], alg)))
  }
  return key
}

/**
 * Whether `key` verifies the assertion's signature under `alg` (the JOSE library does the cryptography).
 * The signing input is the header and payload segments exactly as received: with the paddedBase64url
 * quirk that includes their `=` padding, because the proxy signed the padded text.
 */
export async function signatureVerifies(jws: ParsedCompactJws, key: CryptoKey | Uint8Array, alg: string): Promise<boolean> {
  const [protectedSegment, payloadSegment, signatureSegment] = jws.segments
  try {
    await flattenedVerify({ protected: protectedSegment, payload: payloadSegment, signature: signatureSegment.replace(/=+$/, '') }, key, { algorithms: [alg] })
    return true
  } catch {
    return false
  }
}
