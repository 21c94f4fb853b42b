import { LRUCache } from 'lru-cache'
import type { TrustedIdentity } from './identity.js'
import type { VerifyingKey } from './key-sources/key-source.js'

/** One remembered verification: the identity, the key that verified it, and until when (seconds) it may be reused. */
export interface CachedVerification {
  readonly identity: TrustedIdentity
  readonly key: VerifyingKey
  readonly reusableUntil: number
  /** The issuer entry (TRUSTED_PROXY_ISSUERS position; 0 with one key source) whose keys verified it. */
  readonly issuerEntry: number
}

export interface CacheCounts {
  /** Entries held now (never more than the configured size). */
  readonly size: number
  readonly hits: number
  readonly misses: number
}

/**
 * Verified assertions of one verifier (so of one configuration), keyed by the exact assertion text:
 * a bounded LRU (TRUSTED_PROXY_CACHE_SIZE entries). The verifier decides what a hit still has to pass;
 * this only remembers successes and counts.
 */
export class VerifiedAssertionCache {
  private readonly entries: LRUCache<string, CachedVerification>
  private hits = 0
  private misses = 0

  constructor(maxEntries: number) {
    this.entries = new LRUCache<string, CachedVerification>({ max: maxEntries })
  }

  /** The remembered verification of `token`, if any (counted as a hit or a miss by the caller's verdict). */
  lookup(token: string): CachedVerification | undefined {
    return this.entries.get(token)
  }

  hit(): void {
    this.hits++
  }

  miss(): void {
    this.misses++
  }

  remember(token: string, entry: CachedVerification): void {
    this.entries.set(token, entry)
  }

  forget(token: string): void {
    this.entries.delete(token)
  }

  counts(): CacheCounts {
    return { size: this.entries.size, hits: this.hits, misses: this.misses }
  }
}
