import type { ParsedCompactJws } from '../compact-jws.js'
import { TrustedProxyAuthError } from '../errors.js'
import type { EventListener } from '../events.js'
import { FetchFailure, fetchKeyDocument, freshnessFrom } from '../key-fetch.js'
import { fitsAlgorithm, unusableReason, type PublicJwk } from '../key-set.js'
import type { KeyStatus } from '../key-store.js'
import { holdsKey } from '../key-identity.js'
import { isUuidKid } from '../quirks/kid-uuid.js'
import { LastImportedKey, tryCandidates, verifyingCandidateNow, verifyingCandidateSoon } from './candidates.js'
import { publicJwkFromPem } from './pem-public-key.js'
import type { SignatureKeys } from './key-source.js'

const MAX_PEM_BYTES = 16 * 1024
const MAX_CACHED_KIDS = 64
/** Fetches for kids not in the cache allowed per cooldown: what a flood of random valid-looking kids can cost. */
const UNCACHED_FETCHES_PER_COOLDOWN = 2
const MAX_REMEMBERED_MISSES = 1024

export interface KidTemplateOptions {
  /** The key URL with `{kid}` where the assertion's kid goes. */
  template: string
  timeoutMs: number
  cacheTtlMs: number
  cooldownMs: number
  maxStaleMs: number
  fetch: typeof fetch
  onEvent: EventListener
  clock: () => number
}

interface CachedKey {
  member: PublicJwk
  freshUntil: number
}

/** A kid whose last fetch failed: `not_found` (404/403) or `failed` (anything else), until the cooldown passes. */
interface Miss {
  kind: 'not_found' | 'failed'
  until: number
  /** The fetch failure in words, for `TrustedProxyAuthError.detail`. */
  reason: string
}

/**
 * Keys published one PEM per kid (preset aws-alb; contract/presets.json `jwksUrlRules.kidTemplate`).
 * Each kid is cached on its own (LRU, 64 kids), refetched when the request that needs it finds it past
 * freshness, served stale while refetches fail, and fetched once for any number of concurrent requests.
 * Failures are answered from a per-kid cooldown; there are no background retries.
 */
export class KidTemplateKeyStore {
  private readonly keys = new Map<string, CachedKey>()
  private readonly misses = new Map<string, Miss>()
  private readonly inflight = new Map<string, Promise<void>>()
  private uncachedFetchStarts: number[] = []
  private fetchCount = 0
  private lastFetchAt: number | null = null
  private lastSuccessAt: number | null = null
  private lastError: string | null = null

  constructor(private readonly options: KidTemplateOptions) {}

  status(): KeyStatus {
    // Nothing can be loaded before an assertion names a kid, so the store is always ready.
    return {
      state: 'ready',
      keyCount: this.keys.size,
      lastFetchAt: this.lastFetchAt,
      lastSuccessAt: this.lastSuccessAt,
      lastError: this.lastError,
      nextRetryAt: null,
      fetchCount: this.fetchCount,
    }
  }

  /** The key published for `kid` (a UUID); throws unknown_key or jwks_unavailable. */
  async keyFor(kid: string): Promise<PublicJwk> {
    const now = this.options.clock()
    const cached = this.touch(kid)
    if (cached && now < cached.freshUntil) return cached.member
    const miss = this.misses.get(kid)
    if (miss && now < miss.until) return this.answerFromMiss(kid, miss, now)
    if (!cached && !this.inflight.has(kid) && !this.mayFetchUncached(now)) {
      this.options.onEvent({ type: 'unknown_kid', kid, refetched: false })
      throw new TrustedProxyAuthError('unknown_key')
    }
    if (!cached) this.options.onEvent({ type: 'unknown_kid', kid, refetched: true })
    await this.fetchOnce(kid)
    const after = this.options.clock()
    const fetched = this.keys.get(kid)
    if (fetched && after < fetched.freshUntil) return fetched.member
    const newMiss = this.misses.get(kid)
    if (newMiss) return this.answerFromMiss(kid, newMiss, after)
    throw this.unavailable(after, after + this.options.cooldownMs, this.lastError ?? 'key fetch failed')
  }

  /** The fresh cached key of `kid`, marked most recently used, without waiting; null when keyFor has more to do. */
  keyNow(kid: string): PublicJwk | null {
    const cached = this.keys.get(kid)
    if (!cached || this.options.clock() >= cached.freshUntil) return null
    return this.touch(kid)!.member
  }

  /** Whether `member` is the fresh cached key of its kid (no fetch, no LRU touch). */
  holdsFresh(member: PublicJwk): boolean {
    const cached = typeof member.kid === 'string' ? this.keys.get(member.kid) : undefined
    return cached !== undefined && this.options.clock() < cached.freshUntil && holdsKey([cached.member], member)
  }

  /** The cached key, marked most recently used. */
  private touch(kid: string): CachedKey | undefined {
    const cached = this.keys.get(kid)
    if (cached) {
      this.keys.delete(kid)
      this.keys.set(kid, cached)
    }
    return cached
  }

  private answerFromMiss(kid: string, miss: Miss, now: number): PublicJwk {
    if (miss.kind === 'not_found') throw new TrustedProxyAuthError('unknown_key')
    const cached = this.keys.get(kid)
    if (cached && now < cached.freshUntil + this.options.maxStaleMs) {
      this.options.onEvent({ type: 'jwks_stale_served', ageSeconds: Math.round((now - cached.freshUntil) / 1000) })
      return cached.member
    }
    throw this.unavailable(now, miss.until, miss.reason)
  }

  private unavailable(now: number, until: number, detail: string): TrustedProxyAuthError {
    return new TrustedProxyAuthError('jwks_unavailable', { retryAfter: Math.max(1, Math.ceil((until - now) / 1000)), detail })
  }

  private mayFetchUncached(now: number): boolean {
    this.uncachedFetchStarts = this.uncachedFetchStarts.filter((at) => now - at < this.options.cooldownMs)
    if (this.uncachedFetchStarts.length >= UNCACHED_FETCHES_PER_COOLDOWN) return false
    this.uncachedFetchStarts.push(now)
    return true
  }

  private fetchOnce(kid: string): Promise<void> {
    let pending = this.inflight.get(kid)
    if (!pending) {
      pending = this.fetchKid(kid).finally(() => this.inflight.delete(kid))
      this.inflight.set(kid, pending)
    }
    return pending
  }

  private async fetchKid(kid: string): Promise<void> {
    // The kid holds only hex digits and `-` (kidUuid), so it is inserted as received.
    const url = this.options.template.replace('{kid}', kid)
    const started = this.options.clock()
    this.fetchCount++
    this.lastFetchAt = started
    try {
      const { text, headers } = await fetchKeyDocument({
        fetch: this.options.fetch,
        url,
        timeoutMs: this.options.timeoutMs,
        maxBytes: MAX_PEM_BYTES,
        accept: 'application/x-pem-file, text/plain',
      })
      const member = await publicJwkFromPem(text, kid)
      const now = this.options.clock()
      this.install(kid, { member, freshUntil: now + freshnessFrom(headers.get('cache-control'), this.options.cacheTtlMs, this.options.cooldownMs) })
      this.lastSuccessAt = now
      this.lastError = null
      this.options.onEvent({ type: 'jwks_fetch_ok', url, durationMs: now - started, keyCount: 1, ignoredCount: 0 })
    } catch (error) {
      const now = this.options.clock()
      const reason = error instanceof FetchFailure ? error.message : 'request failed'
      const status = error instanceof FetchFailure ? error.status : null
      const notFound = status === 404 || status === 403
      // A withdrawn key is not served stale: the publisher says it no longer exists.
      if (notFound) this.keys.delete(kid)
      this.remember(kid, { kind: notFound ? 'not_found' : 'failed', until: now + this.options.cooldownMs, reason }, now)
      this.lastError = reason
      this.options.onEvent({ type: 'jwks_fetch_failed', url, durationMs: now - started, reason })
    }
  }

  private install(kid: string, entry: CachedKey): void {
    this.misses.delete(kid)
    this.keys.delete(kid)
    this.keys.set(kid, entry)
    while (this.keys.size > MAX_CACHED_KIDS) {
      const leastRecentlyUsed = this.keys.keys().next().value as string
      this.keys.delete(leastRecentlyUsed)
    }
  }

  private remember(kid: string, miss: Miss, now: number): void {
    if (this.misses.size >= MAX_REMEMBERED_MISSES) {
      for (const [other, entry] of this.misses) if (entry.until <= now) this.misses.delete(other)
      if (this.misses.size >= MAX_REMEMBERED_MISSES) this.misses.clear()
    }
    this.misses.set(kid, miss)
  }
}

/** Stages key_lookup and signature for keys published one per kid. */
export function kidTemplateKeys(store: KidTemplateKeyStore): SignatureKeys {
  const lastImported = new LastImportedKey()
  async function verifyInGeneral(jws: ParsedCompactJws, alg: string, kid: string | undefined): Promise<PublicJwk> {
    // Only a UUID may reach the key URL (quirk kidUuid); checked again here because this is where it matters.
    if (!isUuidKid(kid)) throw new TrustedProxyAuthError('unknown_key')
    const member = await store.keyFor(kid)
    if (unusableReason(member) !== null || !fitsAlgorithm(member, alg)) throw new TrustedProxyAuthError('unknown_key')
    const outcome = await tryCandidates(jws, alg, [member])
    if (outcome !== 'verified') throw new TrustedProxyAuthError(outcome === 'no_candidate' ? 'unknown_key' : 'invalid_signature')
    return member
  }
  return {
    start: () => undefined,
    ready: () => Promise.resolve(),
    status: () => store.status(),
    close: () => undefined,
    verify(jws, alg, kid) {
      // The key in memory and imported: one promise for the signature, without the general path's hops.
      const member = isUuidKid(kid) ? store.keyNow(kid) : null
      const soon = member && unusableReason(member) === null && fitsAlgorithm(member, alg) ? verifyingCandidateSoon(jws, alg, [member]) : null
      if (!soon) return verifyInGeneral(jws, alg, kid)
      return soon.then(({ outcome }) => {
        if (outcome !== 'verified') throw new TrustedProxyAuthError(outcome === 'no_candidate' ? 'unknown_key' : 'invalid_signature')
        return member!
      })
    },
    verifyNow(jws, alg, kid) {
      if (!isUuidKid(kid)) throw new TrustedProxyAuthError('unknown_key')
      const member = store.keyNow(kid)
      if (member === null) return null
      if (unusableReason(member) !== null || !fitsAlgorithm(member, alg)) throw new TrustedProxyAuthError('unknown_key')
      const result = verifyingCandidateNow(jws, alg, [member], lastImported)
      if (result === null) return null
      if (result.outcome !== 'verified') throw new TrustedProxyAuthError(result.outcome === 'no_candidate' ? 'unknown_key' : 'invalid_signature')
      return member
    },
    isCurrent: (key) => key !== 'sharedSecret' && store.holdsFresh(key),
  }
}
