import type { IncomingMessage } from 'node:http'
import type { TrustedIdentity, TrustedProxyAuthConfig, Verifier } from '@mieweb/trusted-proxy-auth'
import { LRUCache } from 'lru-cache'

/** The longest an entry is used, whatever the assertion's own lifetime. */
const MAX_ENTRY_MS = 60_000

interface Entry {
  identity: TrustedIdentity
  /** Milliseconds since the epoch after which the entry is not used. */
  usableUntil: number
  /** The key set load the verification ran against; a reload invalidates the entry. */
  keySetLoadedAt: number | null
}

/**
 * Remembers successful verifications so that a repeated assertion skips the signature check, which is
 * what bounds the edge verifier's throughput (a proxy asks once per request, a browser resends the same
 * assertion for minutes). The key is the socket peer plus every value of the assertion header and of the
 * required headers, in order, so the request rules (trusted addresses, required headers, duplicate
 * headers) still decide as on a full verification. An entry is used only before the assertion's `exp` and
 * `iat` + max age (without the clock tolerance, so earlier than the verifier would stop), for at most 60 s,
 * and only while the key set has not been reloaded (a rotation that drops a key drops its entries).
 * Failures are never remembered. TRUSTED_PROXY_SERVE_CACHE_SIZE bounds the entries (0: off).
 */
export class VerifiedAssertionCache {
  private readonly entries: LRUCache<string, Entry> | null
  private readonly watched: ReadonlySet<string>

  constructor(
    private readonly config: TrustedProxyAuthConfig,
    private readonly verifier: Verifier,
    private readonly clock: () => number = Date.now,
  ) {
    this.entries = config.serveCacheSize > 0 ? new LRUCache<string, Entry>({ max: config.serveCacheSize }) : null
    this.watched = new Set([config.assertionHeader.toLowerCase(), ...config.requiredHeaders.map((rule) => rule.name.toLowerCase())])
  }

  /** The cache key of a request, or null when it carries no assertion (nothing worth remembering). */
  keyOf(request: IncomingMessage): string | null {
    if (this.entries === null) return null
    const parts = [request.socket.remoteAddress ?? '']
    let hasAssertion = false
    const raw = request.rawHeaders
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase()
      if (!this.watched.has(name)) continue
      if (name === this.config.assertionHeader.toLowerCase()) hasAssertion = true
      parts.push(`${name}:${raw[i + 1]!}`)
    }
    return hasAssertion ? parts.join('\n') : null
  }

  get(key: string): TrustedIdentity | null {
    const entry = this.entries?.get(key)
    if (!entry) return null
    if (this.clock() >= entry.usableUntil || entry.keySetLoadedAt !== this.verifier.status().lastSuccessAt) {
      this.entries?.delete(key)
      return null
    }
    return entry.identity
  }

  remember(key: string, identity: TrustedIdentity): void {
    if (this.entries === null) return
    const now = this.clock()
    let untilSeconds = identity.expiresAt
    if (this.config.maxAge !== null && identity.issuedAt !== null) untilSeconds = Math.min(untilSeconds, identity.issuedAt + this.config.maxAge)
    const usableUntil = Math.min(untilSeconds * 1000, now + MAX_ENTRY_MS)
    if (usableUntil <= now) return
    this.entries.set(key, { identity, usableUntil, keySetLoadedAt: this.verifier.status().lastSuccessAt })
  }
}
