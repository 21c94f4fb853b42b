import type { ParsedCompactJws } from '../compact-jws.js'
import { TrustedProxyAuthError } from '../errors.js'
import { fitsAlgorithm, type PublicJwk } from '../key-set.js'
import type { KeyStatus } from '../key-store.js'
import { LastImportedKey, verifyingCandidate, verifyingCandidateNow, verifyingCandidateSoon, type CandidateOutcome } from './candidates.js'
import type { SignatureKeys } from './key-source.js'

function verifiedMember({ outcome, member }: { outcome: CandidateOutcome; member?: PublicJwk }): PublicJwk {
  if (outcome === 'no_candidate') throw new TrustedProxyAuthError('unknown_key')
  if (outcome === 'invalid_signature' || member === undefined) throw new TrustedProxyAuthError('invalid_signature')
  return member
}

/** What a key set offers, fetched (RemoteKeyStore) or local (LocalKeyStore). */
export interface KeySetStore {
  start(): void
  ready(timeoutMs: number): Promise<void>
  status(): KeyStatus
  close(): void
  membersFor(kid: string | undefined): Promise<PublicJwk[]>
  /** The members for `kid` when they are in memory and fresh, without waiting; null when only membersFor can answer. */
  membersNow(kid: string | undefined): readonly PublicJwk[] | null
  refetchForKidlessAssertion(): Promise<void>
  holdsFresh(member: PublicJwk): boolean
}

/**
 * Keys from a JSON Web Key Set (at a configured URL, found by discovery, in a local file or inline). With `kidlessTriesEveryKey` (a key_lookup plug,
 * quirk-stages.ts), a kid-less assertion that no candidate verifies causes one cooldown-bounded refetch, so that a
 * rotated key without a kid still works at once.
 */
export function jwksKeys(store: KeySetStore, options: { kidlessTriesEveryKey: boolean }): SignatureKeys {
  const candidatesFor = async (kid: string | undefined, alg: string) => (await store.membersFor(kid)).filter((member) => fitsAlgorithm(member, alg))
  // The members a kid names stay the same array until the key set changes: filtered once per array and alg.
  let lastMembers: readonly PublicJwk[] | null = null
  let lastAlg = ''
  let lastFitting: readonly PublicJwk[] = []
  const fittingNow = (members: readonly PublicJwk[], alg: string): readonly PublicJwk[] => {
    if (members !== lastMembers || alg !== lastAlg) {
      lastFitting = members.filter((member) => fitsAlgorithm(member, alg))
      lastMembers = members
      lastAlg = alg
    }
    return lastFitting
  }
  const lastImported = new LastImportedKey()
  const candidatesNow = (kid: string | undefined, alg: string): readonly PublicJwk[] | null => {
    const members = store.membersNow(kid)
    return members === null ? null : fittingNow(members, alg)
  }
  /** The quirk's refetch after a failed kid-less assertion is the general path's to do. */
  const refetchMayHelp = (result: { outcome: CandidateOutcome }, kid: string | undefined) => result.outcome !== 'verified' && kid === undefined && options.kidlessTriesEveryKey
  async function verifyInGeneral(jws: ParsedCompactJws, alg: string, kid: string | undefined): Promise<PublicJwk> {
    let result = await verifyingCandidate(jws, alg, await candidatesFor(kid, alg))
    if (refetchMayHelp(result, kid)) {
      await store.refetchForKidlessAssertion()
      result = await verifyingCandidate(jws, alg, await candidatesFor(undefined, alg))
    }
    return verifiedMember(result)
  }
  return {
    start: () => store.start(),
    ready: (timeoutMs) => store.ready(timeoutMs),
    status: () => store.status(),
    close: () => store.close(),
    verify(jws, alg, kid) {
      // Keys fresh in memory and imported: one promise for the signature, without the general path's hops.
      const candidates = candidatesNow(kid, alg)
      const soon = candidates && verifyingCandidateSoon(jws, alg, candidates)
      if (!soon) return verifyInGeneral(jws, alg, kid)
      return soon.then((result) => (refetchMayHelp(result, kid) ? verifyInGeneral(jws, alg, kid) : verifiedMember(result)))
    },
    verifyNow(jws, alg, kid) {
      const candidates = candidatesNow(kid, alg)
      const result = candidates && verifyingCandidateNow(jws, alg, candidates, lastImported)
      if (!result || refetchMayHelp(result, kid)) return null
      return verifiedMember(result)
    },
    isCurrent: (key) => key !== 'sharedSecret' && store.holdsFresh(key),
  }
}
