import type { ParsedCompactJws } from '../compact-jws.js'
import { importPublicKey, signatureVerifies } from '../jws-signature.js'
import type { PublicJwk } from '../key-set.js'
import { useThreadPool } from '../signature-load.js'
import { nodeSignatureVerifies, nodeSignatureVerifiesInPool, toNodeKey, type NodeKeyObject } from '../node-signature.js'

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

async function verifies(jws: ParsedCompactJws, imported: ImportedKey, alg: string): Promise<boolean> {
  if (!imported.nodeKey) return signatureVerifies(jws, imported.key, alg)
  return useThreadPool() ? nodeSignatureVerifiesInPool(jws, imported.nodeKey, alg) : nodeSignatureVerifies(jws, imported.nodeKey, alg)
}

/**
 * verifyingCandidate without waiting, when that gives the same answer: every candidate already imported,
 * node:crypto available and few verifications in flight (so the signature is checked on this thread).
 * null when it cannot answer now; the caller then awaits verifyingCandidate.
 */
export function verifyingCandidateNow(jws: ParsedCompactJws, alg: string, candidates: readonly PublicJwk[]): { outcome: CandidateOutcome; member?: PublicJwk } | null {
  if (candidates.length === 0) return { outcome: 'no_candidate' }
  if (useThreadPool()) return null
  const keys: NodeKeyObject[] = []
  for (const member of candidates) {
    const nodeKey = importedKeys.get(member)?.get(alg)?.nodeKey
    if (!nodeKey) return null
    keys.push(nodeKey)
  }
  for (let i = 0; i < candidates.length; i++) {
    if (nodeSignatureVerifies(jws, keys[i]!, alg)) return { outcome: 'verified', member: candidates[i]! }
  }
  return { outcome: 'invalid_signature' }
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
