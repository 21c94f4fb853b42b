import { LRUCache } from 'lru-cache'
import { CacheAdmission } from './cache-admission.js'
import type { TrustedIdentity } from './identity.js'
import type { VerifyingKey } from './key-sources/key-source.js'

/** One remembered verification: the identity, the key that verified it, and until when (seconds) it may be reused. */
export interface CachedVerification {
  readonly identity: TrustedIdentity
  readonly key: VerifyingKey
  readonly reusableUntil: number
  /** The issuer entry (TRUSTED_PROXY_ISSUERS position; 0 with one key source) whose keys verified it. */
  readonly issuerEntry: number
  /** `passingTimes` under that entry's configuration (seconds): within them a hit skips checkClaimTimes. */
  readonly timesPassFrom: number
  readonly timesPassUntil: number
}

export interface CacheCounts {
  /** Entries held now (never more than the configured size). */
  readonly size: number
  readonly hits: number
  readonly misses: number
}

/** A remembered verification with the exact assertion text it belongs to. */
interface Remembered {
  readonly token: string
  readonly verification: CachedVerification
}

/**
 * How many trailing characters of an assertion select its entry: the end of the signature (at least 192 bits
 * of it), so distinct assertions practically never share a slot. Hashing a whole assertion (hundreds of
 * characters, a new string on every request) for the map lookup cost most of a cache hit; the exact text is
 * then compared in full, so a hit is only ever the very same assertion.
 */
const SLOT_KEY_LENGTH = 32

const slotKey = (token: string): string => (token.length <= SLOT_KEY_LENGTH ? token : token.slice(-SLOT_KEY_LENGTH))

/** Admission slots per cache entry: a first sighting stays on record while about four times the cache's size of other assertions pass. */
const ADMISSION_SLOTS_PER_ENTRY = 4

/**
 * Verified assertions of one verifier (so of one configuration), matched by the exact assertion text:
 * a bounded LRU (TRUSTED_PROXY_CACHE_SIZE entries) that takes an assertion in from its second success
 * (CacheAdmission). The verifier decides what a hit still has to pass; this only remembers successes and counts. An assertion whose slot holds another assertion is a miss
 * and leaves that entry alone, so it can neither read nor evict what it does not match exactly.
 */
export class VerifiedAssertionCache {
  /**
   * Created by the first store: the LRU allocates its tables for every entry up front (about 2 ms for 10,000, the
   * default), which a verifier that never stores (one CLI verification, traffic of one-time assertions) never pays.
   */
  private entries: LRUCache<string, Remembered> | null = null
  private readonly maxEntries: number
  private readonly admission: CacheAdmission
  private hits = 0
  private misses = 0
  /**
   * The entry the last lookup found: a proxy that resends one assertion (a session's page and its API calls)
   * meets it again next, and comparing the text spares the slot key, its hash and the LRU's bookkeeping. Always
   * an entry the LRU still holds: dropped when the LRU lets it go (eviction, replacement, forget).
   */
  private lastFound: Remembered | undefined = undefined

  /** `maxEntries`: a positive integer (TRUSTED_PROXY_CACHE_SIZE); refused here, not at the first store. */
  constructor(maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new TypeError('the cache size must be a positive integer')
    this.maxEntries = maxEntries
    this.admission = new CacheAdmission(maxEntries * ADMISSION_SLOTS_PER_ENTRY)
  }

  /** The remembered verification of `token`, if any (counted as a hit or a miss by the caller's verdict). */
  lookup(token: string): CachedVerification | undefined {
    const last = this.lastFound
    if (last !== undefined && last.token === token) return last.verification
    // Traffic of assertions seen once (minted per request) never fills the cache: no key cut out and hashed then.
    if (this.entries === null || this.entries.size === 0) return undefined
    const remembered = this.entries.get(slotKey(token))
    if (remembered === undefined || remembered.token !== token) return undefined
    this.lastFound = remembered
    return remembered.verification
  }

  hit(): void {
    this.hits++
  }

  miss(): void {
    this.misses++
  }

  /**
   * Offers a success: `entry()` is built and remembered when this assertion succeeded before (CacheAdmission),
   * else the success is only noted (and nothing is built).
   */
  remember(token: string, entry: () => CachedVerification): void {
    if (this.admits(token)) this.store(token, entry())
  }

  /**
   * remember in two steps, for a caller that builds the entry inline (no closure per success): whether this
   * success of `token` is to be remembered (noting it when not), and then `store` when it is.
   */
  admits(token: string): boolean {
    // The slot key's characters, read in the token itself.
    return this.admission.seenBefore(token, Math.max(0, token.length - SLOT_KEY_LENGTH))
  }

  store(token: string, verification: CachedVerification): void {
    this.entries ??= new LRUCache<string, Remembered>({
      max: this.maxEntries,
      dispose: (remembered) => {
        if (remembered === this.lastFound) this.lastFound = undefined
      },
    })
    this.entries.set(slotKey(token), { token, verification })
  }

  forget(token: string): void {
    const key = slotKey(token)
    if (this.entries?.peek(key)?.token === token) this.entries.delete(key)
  }

  counts(): CacheCounts {
    return { size: this.entries?.size ?? 0, hits: this.hits, misses: this.misses }
  }
}
