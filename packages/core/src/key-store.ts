import { TrustedProxyAuthError } from './errors.js'
import type { EventListener } from './events.js'
import { FetchFailure, fetchKeyDocument, freshnessFrom } from './key-fetch.js'
import { holdsKey } from './key-identity.js'
import { unusableReason, type PublicJwk } from './key-set.js'
import { MAX_KEY_SET_BYTES, parseKeySetDocument } from './key-set-document.js'
import { jwksUriFromDiscovery, MAX_DISCOVERY_DOCUMENT_BYTES } from './key-sources/openid-discovery.js'

/** The largest key set read (bytes); a larger answer is a failed key load. */
export const MAX_JWKS_BYTES = MAX_KEY_SET_BYTES
const PRIVATE_MATERIAL = 'key set publishes private key material'
/**
 * Background retry delays while keys cannot be loaded; the last one repeats, so the backoff is capped at
 * 30 s. Requests may also trigger a fetch while no usable key is loaded (one per cooldown), so keys come
 * back soon after the endpoint does, without waiting out the backoff.
 */
export const RETRY_SCHEDULE_MS = [5_000, 10_000, 30_000] as const

export interface KeyStoreOptions {
  /** The key set URL; with `discoveryIssuer`, the OpenID discovery document URL that names it. */
  url: string
  /** Find the key set by OpenID Connect Discovery; the document must name exactly this issuer. */
  discoveryIssuer?: string
  timeoutMs: number
  cacheTtlMs: number
  cooldownMs: number
  maxStaleMs: number
  fetch: typeof fetch
  onEvent: EventListener
  /** Milliseconds since the epoch; injectable for tests. */
  clock: () => number
  /** 0..1, spreads retries of many instances; injectable so tests are exact. */
  random: () => number
  scheduler: Scheduler
}

/** Where background refreshes and retries are scheduled; tests inject a manual clock. */
export interface Scheduler {
  setTimeout(callback: () => void, delayMs: number): unknown
  clearTimeout(handle: unknown): void
}

export const realScheduler: Scheduler = {
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, delayMs)
    // Background refreshes must never keep a process (or a CLI) alive.
    ;(handle as { unref?: () => void }).unref?.()
    return handle
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>)
  },
}

export interface KeyStatus {
  state: 'loading' | 'ready' | 'stale' | 'unavailable'
  keyCount: number
  lastFetchAt: number | null
  lastSuccessAt: number | null
  lastError: string | null
  nextRetryAt: number | null
  fetchCount: number
}

/** `nominalMs` spread by ±`spread` (a fraction) so that many instances do not refetch in lock step. */
function jittered(nominalMs: number, spread: number, random: number): number {
  return Math.round(nominalMs * (1 + spread * (2 * random - 1)))
}

function membersByKid(members: readonly PublicJwk[]): Map<string, readonly PublicJwk[]> {
  const byKid = new Map<string, PublicJwk[]>()
  for (const member of members) {
    if (typeof member.kid !== 'string') continue
    const list = byKid.get(member.kid)
    if (list) list.push(member)
    else byKid.set(member.kid, [member])
  }
  return byKid
}

/**
 * The key set behind one JWKS URL: cached, refreshed ahead of expiry, refetched once on an unknown kid
 * (the cooldown counts only from the previous kid-triggered refetch, so a freshly rotated key works at
 * once while a flood of random kids costs one fetch per cooldown), fetched once for any number of
 * concurrent callers, retried in the background with backoff, and served stale for a bounded time
 * through an outage.
 */
export class RemoteKeyStore {
  private members: PublicJwk[] = []
  /** The usable members by kid, each list built once per load: a verification reads it without filtering. */
  private kids = new Map<string, readonly PublicJwk[]>()
  private loaded = false
  private freshUntil = 0
  private successAt: number | null = null
  private lastFetchAt: number | null = null
  private lastError: string | null = null
  private failures = 0
  private fetchCount = 0
  private inflight: Promise<void> | null = null
  private lastKidRefetchAt = Number.NEGATIVE_INFINITY
  private unknownKids = new Map<string, number>()
  private timer: unknown = null
  private nextRetryAt: number | null = null
  private closed = false
  private readyWaiters: Array<() => void> = []
  private discovered: { jwksUri: string; at: number } | null = null

  constructor(private readonly options: KeyStoreOptions) {}

  /** Starts the first load in the background; the application does not wait for it. */
  start(): void {
    void this.refresh().catch(() => undefined)
  }

  close(): void {
    this.closed = true
    if (this.timer !== null) this.options.scheduler.clearTimeout(this.timer)
    this.timer = null
  }

  /**
   * Resolves once a usable key set is loaded. Without one, starts a fetch (or joins the one under way) and
   * rejects with jwks_unavailable (`detail`: the cause) as soon as that fetch fails, or when `timeoutMs`
   * passes first. Never waits longer than `timeoutMs`.
   */
  async ready(timeoutMs: number): Promise<void> {
    if (this.usable(this.options.clock())) return
    if (!this.closed) void this.refresh().catch(() => undefined)
    let timer: unknown = null
    const loadedOrTimedOut = new Promise<void>((resolve) => {
      this.readyWaiters.push(resolve)
      timer = this.options.scheduler.setTimeout(resolve, timeoutMs)
      void (this.inflight ?? Promise.resolve()).catch(() => undefined).then(resolve)
    })
    try {
      await loadedOrTimedOut
    } finally {
      if (timer !== null) this.options.scheduler.clearTimeout(timer)
    }
    if (!this.usable(this.options.clock())) {
      throw this.unavailable(this.inflight !== null ? `no key set loaded within ${Number((timeoutMs / 1000).toFixed(3))} s` : undefined)
    }
  }

  status(): KeyStatus {
    const now = this.options.clock()
    let state: KeyStatus['state'] = 'loading'
    if (this.loaded) state = now < this.freshUntil ? 'ready' : this.usable(now) ? 'stale' : 'unavailable'
    else if (this.failures > 0) state = 'unavailable'
    return {
      state,
      keyCount: this.members.length,
      lastFetchAt: this.lastFetchAt,
      lastSuccessAt: this.successAt,
      lastError: this.lastError,
      nextRetryAt: this.nextRetryAt,
      fetchCount: this.fetchCount,
    }
  }

  /**
   * Quirk kidOptionalTryAll: no candidate of a kid-less assertion verified, which after a rotation means
   * the new key is not loaded yet. Refetches like an unknown kid: the same cooldown, single flight and event.
   */
  async refetchForKidlessAssertion(): Promise<void> {
    const now = this.options.clock()
    if (this.inflight) {
      await this.inflight.catch(() => undefined)
    } else if (now - this.lastKidRefetchAt >= this.options.cooldownMs) {
      this.lastKidRefetchAt = now
      this.options.onEvent({ type: 'unknown_kid', kid: null, refetched: true })
      await this.refresh().catch(() => undefined)
    } else {
      this.options.onEvent({ type: 'unknown_kid', kid: null, refetched: false })
    }
  }

  /** The members published with `kid` (or all of them without a kid); throws jwks_unavailable. */
  async membersFor(kid: string | undefined): Promise<PublicJwk[]> {
    await this.ensureUsable()
    if (kid !== undefined && !this.kids.has(kid)) await this.refetchForUnknownKid(kid)
    return kid === undefined ? [...this.members] : this.members.filter((member) => member.kid === kid)
  }

  /**
   * What membersFor would answer without waiting or fetching (no event either): the key set is fresh and
   * the kid is in it (or there is no kid). null otherwise, so the caller takes membersFor's path.
   */
  membersNow(kid: string | undefined): readonly PublicJwk[] | null {
    if (!this.loaded || this.options.clock() >= this.freshUntil) return null
    if (kid === undefined) return this.members
    return this.kids.get(kid) ?? null
  }

  /** Whether `member` is in the key set and the set is fresh (no fetch): what a cached verification needs. */
  holdsFresh(member: PublicJwk): boolean {
    return this.loaded && this.options.clock() < this.freshUntil && holdsKey(this.members, member)
  }

  private usable(now: number): boolean {
    return this.loaded && now < this.freshUntil + this.options.maxStaleMs
  }

  /** The earliest time a fetch may happen again: the scheduled retry, or a request once the cooldown since the last fetch has passed. */
  private nextFetchAt(): number | null {
    const byRequest = this.lastFetchAt === null ? null : this.lastFetchAt + this.options.cooldownMs
    if (this.nextRetryAt === null) return byRequest
    return byRequest === null ? this.nextRetryAt : Math.min(this.nextRetryAt, byRequest)
  }

  private unavailable(detail?: string): TrustedProxyAuthError {
    const now = this.options.clock()
    const next = this.nextFetchAt()
    const retryAfter = next === null ? 1 : Math.max(1, Math.ceil((next - now) / 1000))
    const cause = detail ?? this.lastError ?? (this.loaded ? 'the last good key set is past its stale limit' : 'no key set loaded yet')
    return new TrustedProxyAuthError('jwks_unavailable', { retryAfter, detail: cause })
  }

  /** Whether a request that finds no usable key may fetch now: no fetch under way, and a retry due or the cooldown since the last fetch over. */
  private mayFetchForRequest(now: number): boolean {
    if (this.inflight || this.closed) return false
    if (this.nextRetryAt === null || now >= this.nextRetryAt) return true
    return this.lastFetchAt === null || now - this.lastFetchAt >= this.options.cooldownMs
  }

  private async ensureUsable(): Promise<void> {
    const now = this.options.clock()
    if (this.loaded && now < this.freshUntil) return
    if (this.usable(now)) {
      // Past freshness: answer from the last good set and refresh behind the request.
      this.options.onEvent({ type: 'jwks_stale_served', ageSeconds: Math.round((now - (this.successAt ?? now)) / 1000) })
      if (!this.inflight && this.nextRetryAt === null) void this.refresh().catch(() => undefined)
      return
    }
    // Nothing usable: join a fetch already under way, or start one when a retry is due or the cooldown
    // since the last fetch has passed (so a recovered endpoint is used without waiting out the backoff).
    if (this.mayFetchForRequest(now)) void this.refresh().catch(() => undefined)
    if (this.inflight) await this.inflight.catch(() => undefined)
    if (!this.usable(this.options.clock())) throw this.unavailable()
  }

  private async refetchForUnknownKid(kid: string): Promise<void> {
    const now = this.options.clock()
    const knownMissUntil = this.unknownKids.get(kid)
    if (knownMissUntil !== undefined && now < knownMissUntil) {
      this.options.onEvent({ type: 'unknown_kid', kid, refetched: false })
      return
    }
    if (this.inflight) {
      await this.inflight.catch(() => undefined)
    } else if (now - this.lastKidRefetchAt >= this.options.cooldownMs) {
      this.lastKidRefetchAt = now
      this.options.onEvent({ type: 'unknown_kid', kid, refetched: true })
      await this.refresh().catch(() => undefined)
    } else {
      this.options.onEvent({ type: 'unknown_kid', kid, refetched: false })
    }
    if (!this.kids.has(kid)) {
      if (this.unknownKids.size > 10_000) this.unknownKids.clear()
      this.unknownKids.set(kid, this.lastKidRefetchAt + this.options.cooldownMs)
    }
  }

  /** One fetch for every concurrent caller. */
  private refresh(): Promise<void> {
    if (this.closed) return Promise.reject(new FetchFailure('closed'))
    if (!this.inflight) {
      this.inflight = this.fetchOnce().finally(() => {
        this.inflight = null
      })
    }
    return this.inflight
  }

  private async fetchOnce(): Promise<void> {
    const started = this.options.clock()
    this.lastFetchAt = started
    let url = this.options.url
    try {
      if (this.options.discoveryIssuer !== undefined) url = await this.discoverKeySetUrl(this.options.discoveryIssuer)
      this.fetchCount++
      const { members, ttlMs } = await this.download(url)
      this.install(members, ttlMs)
      this.failures = 0
      this.lastError = null
      this.options.onEvent({ type: 'jwks_fetch_ok', url, durationMs: this.options.clock() - started, keyCount: members.length, ignoredCount: this.ignoredCount })
      this.schedule(Math.max(1000, jittered(ttlMs * 0.85, 0.05, this.options.random())), 'refresh')
    } catch (error) {
      const reason = error instanceof FetchFailure ? error.message : 'request failed'
      this.failures++
      this.lastError = reason
      this.options.onEvent({ type: 'jwks_fetch_failed', url, durationMs: this.options.clock() - started, reason })
      const base = RETRY_SCHEDULE_MS[Math.min(this.failures - 1, RETRY_SCHEDULE_MS.length - 1)]!
      this.schedule(jittered(base, 0.1, this.options.random()), 'retry')
      throw error
    }
  }

  private ignoredCount = 0

  private install(all: PublicJwk[], ttlMs: number): void {
    const usable: PublicJwk[] = []
    this.ignoredCount = 0
    for (const member of all) {
      const reason = unusableReason(member)
      if (reason) {
        this.ignoredCount++
        this.options.onEvent({ type: 'jwks_key_ignored', kid: typeof member.kid === 'string' ? member.kid : null, reason })
      } else {
        usable.push(member)
      }
    }
    this.members = usable
    this.kids = membersByKid(usable)
    this.unknownKids.clear()
    this.loaded = true
    this.successAt = this.options.clock()
    this.freshUntil = this.successAt + ttlMs
    for (const resolve of this.readyWaiters.splice(0)) resolve()
  }

  private schedule(delayMs: number, kind: 'refresh' | 'retry'): void {
    if (this.closed) return
    if (this.timer !== null) this.options.scheduler.clearTimeout(this.timer)
    this.nextRetryAt = kind === 'retry' ? this.options.clock() + delayMs : null
    this.timer = this.options.scheduler.setTimeout(() => {
      this.timer = null
      this.nextRetryAt = null
      void this.refresh().catch(() => undefined)
    }, delayMs)
  }

  /**
   * Discovery is the first step of a key load: the document is refetched when the last good one is older
   * than the cache TTL. Its request counts as a fetch; its failure is a failed key load.
   */
  private async discoverKeySetUrl(issuer: string): Promise<string> {
    const now = this.options.clock()
    if (this.discovered && now - this.discovered.at < this.options.cacheTtlMs) return this.discovered.jwksUri
    this.fetchCount++
    const { text } = await fetchKeyDocument({
      fetch: this.options.fetch,
      url: this.options.url,
      timeoutMs: this.options.timeoutMs,
      maxBytes: MAX_DISCOVERY_DOCUMENT_BYTES,
      accept: 'application/json',
    })
    const jwksUri = jwksUriFromDiscovery(text, issuer)
    this.discovered = { jwksUri, at: now }
    return jwksUri
  }

  private async download(url: string): Promise<{ members: PublicJwk[]; ttlMs: number }> {
    const { text, headers } = await fetchKeyDocument({
      fetch: this.options.fetch,
      url,
      timeoutMs: this.options.timeoutMs,
      maxBytes: MAX_JWKS_BYTES,
      accept: 'application/jwk-set+json, application/json',
    })
    let members: PublicJwk[]
    try {
      members = parseKeySetDocument(text)
    } catch (error) {
      if (error instanceof FetchFailure && error.message === PRIVATE_MATERIAL) {
        // The signing key has leaked: forget the old set too, failing closed.
        this.members = []
        this.kids = new Map()
        this.loaded = false
      }
      throw error
    }
    return { members, ttlMs: freshnessFrom(headers.get('cache-control'), this.options.cacheTtlMs, this.options.cooldownMs) }
  }
}
