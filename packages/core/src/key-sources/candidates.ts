import type { ParsedCompactJws } from '../compact-jws.js'
import { importPublicKey, signatureVerifies } from '../jws-signature.js'
import type { PublicJwk } from '../key-set.js'
import { useThreadPool } from '../signature-load.js'
import { nodeSignatureVerifies, nodeSignatureVerifiesInPool, nodeSignatureVerifiesWith, nodeVerifyArguments, toNodeKey, type NodeKeyObject, type NodeVerifyArguments } from '../node-signature.js'
import { verifiedWithWorker } from '../signature-workers.js'

/** What trying the candidate keys gave: one verified, none was usable, or usable ones all failed. */
export type CandidateOutcome = 'verified' | 'no_candidate' | 'invalid_signature'

/** A member's imported key for one alg: jose's (its import rules decide), and the same key for node:crypto when available. */
interface ImportedKey {
  readonly key: Awaited<ReturnType<typeof importPublicKey>>
  readonly nodeKey: NodeKeyObject | null
}

const importedKeys = new WeakMap<PublicJwk, Map<string, ImportedKey>>()

async function importedKey(member: PublicJwk, alg: string): Promise<ImportedKey> {
  const known = importedKeys.get(member)?.get(alg)
  if (known) return known
  const key = await importPublicKey(member, alg)
  const imported = { key, nodeKey: toNodeKey(key) }
  let byAlg = importedKeys.get(member)
  if (!byAlg) importedKeys.set(member, (byAlg = new Map()))
  byAlg.set(alg, imported)
  return imported
}

/**
 * One at a time: on this thread. Many in flight: shared with the signature worker when it runs, else on
 * libuv's thread pool (which also counts towards starting the worker under sustained concurrency).
 */
async function verifies(jws: ParsedCompactJws, imported: ImportedKey, alg: string): Promise<boolean> {
  if (!imported.nodeKey) return signatureVerifies(jws, imported.key, alg)
  return nodeKeyVerifies(jws, imported.nodeKey, alg)
}

function nodeKeyVerifies(jws: ParsedCompactJws, nodeKey: NodeKeyObject, alg: string): Promise<boolean> {
  if (!useThreadPool()) return Promise.resolve(nodeSignatureVerifies(jws, nodeKey, alg))
  return verifiedWithWorker(jws, nodeKey, alg) ?? nodeSignatureVerifiesInPool(jws, nodeKey, alg)
}

/**
 * The member and alg a key source verified with last, their node:crypto key and its prepared verify arguments: one
 * key signs nearly everything a verifier sees, so the next lookup is a comparison. One per key source (not per
 * process), so that keys leave memory with their verifier. What importedKey stored for a member and alg stays
 * (two imports racing store equal keys), so a remembered answer stays true.
 */
export class LastImportedKey {
  private member: PublicJwk | null = null
  private alg = ''
  private verifyArguments: NodeVerifyArguments | null = null

  /**
   * node:crypto's verify arguments for `member` and `alg`: undefined while its key is not imported, null when
   * node:crypto has none for the alg (nodeVerifyArguments).
   */
  argumentsFor(member: PublicJwk, alg: string): NodeVerifyArguments | null | undefined {
    if (member === this.member && alg === this.alg) return this.verifyArguments
    const nodeKey = importedKeys.get(member)?.get(alg)?.nodeKey
    if (!nodeKey) return undefined
    const verifyArguments = nodeVerifyArguments(nodeKey, alg)
    if (verifyArguments !== null) {
      this.member = member
      this.alg = alg
      this.verifyArguments = verifyArguments
    }
    return verifyArguments
  }
}

/** The node:crypto keys of `candidates` for `alg` when every one is imported already; null otherwise. */
function importedNodeKeys(alg: string, candidates: readonly PublicJwk[]): NodeKeyObject[] | null {
  const keys: NodeKeyObject[] = []
  for (const member of candidates) {
    const nodeKey = importedKeys.get(member)?.get(alg)?.nodeKey
    if (!nodeKey) return null
    keys.push(nodeKey)
  }
  return keys
}

/**
 * verifyingCandidate without waiting, when that gives the same answer: every candidate already imported,
 * node:crypto available and few verifications in flight (so the signature is checked on this thread).
 * null when it cannot answer now; the caller then awaits verifyingCandidateSoon or verifyingCandidate.
 */
export function verifyingCandidateNow(
  jws: ParsedCompactJws,
  alg: string,
  candidates: readonly PublicJwk[],
  last: LastImportedKey,
): { outcome: CandidateOutcome; member?: PublicJwk } | null {
  if (candidates.length === 0) return { outcome: 'no_candidate' }
  if (useThreadPool()) return null
  if (candidates.length === 1) {
    // The usual case (a kid names one key): no array of keys built per verification.
    const member = candidates[0]!
    const verifyArguments = last.argumentsFor(member, alg)
    if (verifyArguments === undefined) return null
    return nodeSignatureVerifiesWith(jws, verifyArguments) ? { outcome: 'verified', member } : INVALID_SIGNATURE
  }
  const keys = importedNodeKeys(alg, candidates)
  if (!keys) return null
  for (let i = 0; i < candidates.length; i++) {
    if (nodeSignatureVerifies(jws, keys[i]!, alg)) return { outcome: 'verified', member: candidates[i]! }
  }
  return INVALID_SIGNATURE
}

const INVALID_SIGNATURE: { readonly outcome: CandidateOutcome } = Object.freeze({ outcome: 'invalid_signature' })

/**
 * verifyingCandidate for keys already imported, as one promise (no import to await, none of the general
 * path's hops): what many verifications in flight take, each signature checked as `verifies` decides.
 * null when a candidate is not imported (or has no node:crypto key); the caller then awaits verifyingCandidate.
 */
export function verifyingCandidateSoon(jws: ParsedCompactJws, alg: string, candidates: readonly PublicJwk[]): Promise<{ outcome: CandidateOutcome; member?: PublicJwk }> | null {
  if (candidates.length === 0) return Promise.resolve({ outcome: 'no_candidate' })
  const keys = importedNodeKeys(alg, candidates)
  if (!keys) return null
  const tryFrom = (i: number): Promise<{ outcome: CandidateOutcome; member?: PublicJwk }> =>
    nodeKeyVerifies(jws, keys[i]!, alg).then((valid) => {
      if (valid) return { outcome: 'verified', member: candidates[i]! }
      return i + 1 < candidates.length ? tryFrom(i + 1) : { outcome: 'invalid_signature' }
    })
  return tryFrom(0)
}

/** Tries each candidate in order until one verifies the signature. */
export async function tryCandidates(jws: ParsedCompactJws, alg: string, candidates: readonly PublicJwk[]): Promise<CandidateOutcome> {
  return (await verifyingCandidate(jws, alg, candidates)).outcome
}

/** Like tryCandidates, with the member that verified. */
export async function verifyingCandidate(jws: ParsedCompactJws, alg: string, candidates: readonly PublicJwk[]): Promise<{ outcome: CandidateOutcome; member?: PublicJwk }> {
  if (candidates.length === 0) return { outcome: 'no_candidate' }
  for (const member of candidates) {
    let imported
    try {
      imported = await importedKey(member, alg)
    } catch {
      continue
    }
    if (await verifies(jws, imported, alg)) return { outcome: 'verified', member }
  }
  return { outcome: 'invalid_signature' }
}
