import type { ParsedCompactJws } from '../compact-jws.js'
import { importPublicKey, signatureVerifies } from '../jws-signature.js'
import type { PublicJwk } from '../key-set.js'

/** What trying the candidate keys gave: one verified, none was usable, or usable ones all failed. */
export type CandidateOutcome = 'verified' | 'no_candidate' | 'invalid_signature'

/** Tries each candidate in order until one verifies the signature. */
export async function tryCandidates(jws: ParsedCompactJws, alg: string, candidates: readonly PublicJwk[]): Promise<CandidateOutcome> {
  if (candidates.length === 0) return 'no_candidate'
  for (const member of candidates) {
    let key
    try {
      key = await importPublicKey(member, alg)
    } catch {
      continue
    }
    if (await signatureVerifies(jws, key, alg)) return 'verified'
  }
  return 'invalid_signature'
}
