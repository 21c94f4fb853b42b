/**
 * Which successful verifications the verified-assertion cache takes in: an assertion is remembered from its
 * second success on, never its first (a "doorkeeper", as in TinyLFU). Proxies that resend one assertion all
 * session (Cloudflare Access, oauth2-proxy, authentik, Azure) lose one full verification per assertion; traffic
 * of assertions seen once (minted per request: Envoy, AWS ALB, most gateways) never fills the cache, so it pays
 * no insertion, no eviction and no garbage collection of entries that would never be hit.
 *
 * A fixed table of 32-bit fingerprints, no allocation per call. Two assertions that share a slot overwrite each
 * other (the next sighting counts as a first again); two that share a fingerprint let one in early. Neither can
 * change a verdict: only verified successes reach this, and a hit still compares the exact assertion text.
 */
export class CacheAdmission {
  private readonly fingerprints: Int32Array
  private readonly mask: number

  /** `slots`: rounded up to a power of two (at least 1,024). */
  constructor(slots: number) {
    let size = 1024
    while (size < slots) size *= 2
    this.fingerprints = new Int32Array(size)
    this.mask = size - 1
  }

  /**
   * Whether the text of `key` from `from` on was offered before (so it should be remembered now); records it
   * when not. Read in place: a slice's characters cost optimised code an indirection each (1,500 instructions a
   * verification for 32 of them, callgrind).
   */
  seenBefore(key: string, from = 0): boolean {
    // FNV-1a over the key: a spread of bits, not a defence (the key is the end of a verified signature).
    let hash = 0x811c9dc5
    for (let i = from; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
    // 0 marks an empty slot, so no fingerprint is 0.
    const fingerprint = hash | 1
    const slot = (hash >>> 11) & this.mask
    if (this.fingerprints[slot] === fingerprint) return true
    this.fingerprints[slot] = fingerprint
    return false
  }
}
