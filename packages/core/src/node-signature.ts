import type * as NodeCrypto from 'node:crypto'
import type { ParsedCompactJws } from './compact-jws.js'

type NodeCryptoModule = typeof NodeCrypto
export type NodeKeyObject = NodeCrypto.KeyObject

// Looked up lazily and synchronously so that the verifier also loads on fetch runtimes without `node:crypto`
// (Hono on workers), where jose's WebCrypto path is used instead.
const nodeCrypto = globalThis.process?.getBuiltinModule?.('node:crypto') as NodeCryptoModule | undefined

const HASH_BY_BITS: Readonly<Record<string, string>> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' }

/** A WebCrypto key (as jose imported it, with jose's JWK import rules) as a Node KeyObject, or null without node:crypto. */
export function toNodeKey(key: unknown): NodeKeyObject | null {
  if (!nodeCrypto || !(key instanceof globalThis.CryptoKey)) return null
  try {
    return nodeCrypto.KeyObject.from(key)
  } catch {
    return null
  }
}

type VerifyKeyInput = NodeKeyObject | NodeCrypto.VerifyKeyObjectInput

/** What node:crypto's `verify` takes for one key and `alg`, besides the data and the signature (cloneable to a worker thread). */
export interface NodeVerifyArguments {
  readonly digest: string | null
  readonly keyInput: VerifyKeyInput
}

/** Prepared arguments by key and alg: every verification with a key asks for the same ones. */
const argumentsByKey = new WeakMap<NodeKeyObject, Map<string, NodeVerifyArguments | null>>()

/** node:crypto's digest and key options for a JWS `alg` (RFC 7518 section 3); null for anything else or without node:crypto. */
export function nodeVerifyArguments(key: NodeKeyObject, alg: string): NodeVerifyArguments | null {
  let byAlg = argumentsByKey.get(key)
  if (byAlg === undefined) {
    byAlg = new Map()
    argumentsByKey.set(key, byAlg)
  }
  let prepared = byAlg.get(alg)
  if (prepared === undefined) {
    prepared = verifyArgumentsFor(key, alg)
    byAlg.set(alg, prepared)
  }
  return prepared
}

function verifyArgumentsFor(key: NodeKeyObject, alg: string): NodeVerifyArguments | null {
  const crypto = nodeCrypto
  if (!crypto) return null
  if (alg === 'EdDSA') return { digest: null, keyInput: key }
  const digest = HASH_BY_BITS[alg.slice(2)]
  if (digest === undefined) return null
  switch (alg.slice(0, 2)) {
    case 'RS':
      return { digest, keyInput: key }
    case 'PS':
      // RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash output.
      return { digest, keyInput: { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 } }
    case 'ES':
      // RFC 7518 section 3.4: the signature is R || S, not DER.
      return { digest, keyInput: { key, dsaEncoding: 'ieee-p1363' } }
    default:
      return null
  }
}

/** node:crypto's synchronous verify with prepared arguments; false on any error (a malformed signature). */
export function nodeVerify(verifyArguments: NodeVerifyArguments, input: Uint8Array, signature: Uint8Array): boolean {
  try {
    return nodeCrypto!.verify(verifyArguments.digest, input, verifyArguments.keyInput, signature)
  } catch {
    return false
  }
}

function signingInput(jws: ParsedCompactJws): Uint8Array {
  // The segments passed the base64url syntax check (ASCII only), exactly as received (quirk paddedBase64url).
  return Buffer.from(jws.signingInput, 'latin1')
}

/** Verifies on the calling thread: the fastest way for one verification at a time. */
export function nodeSignatureVerifies(jws: ParsedCompactJws, key: NodeKeyObject, alg: string): boolean {
  return nodeSignatureVerifiesWith(jws, nodeVerifyArguments(key, alg))
}

/** nodeSignatureVerifies with the arguments prepared already (nodeVerifyArguments); false for null. */
export function nodeSignatureVerifiesWith(jws: ParsedCompactJws, verifyArguments: NodeVerifyArguments | null): boolean {
  return verifyArguments !== null && nodeVerify(verifyArguments, signingInput(jws), jws.signature)
}

/** Verifies on libuv's thread pool: frees the event loop when many verifications are in flight. */
export function nodeSignatureVerifiesInPool(jws: ParsedCompactJws, key: NodeKeyObject, alg: string): Promise<boolean> {
  const crypto = nodeCrypto
  const verifyArguments = nodeVerifyArguments(key, alg)
  if (!crypto || !verifyArguments) return Promise.resolve(false)
  return new Promise((resolve) => {
    try {
      crypto.verify(verifyArguments.digest, signingInput(jws), verifyArguments.keyInput, jws.signature, (error, valid) => resolve(!error && valid))
    } catch {
      resolve(false)
    }
  })
}
