import type { TrustedIdentity } from './identity.js'
import type { RequestLike, Verifier, VerifyOptions } from './verifier.js'

/** A verdict given at once (the identity, or null in mode `optional` without an assertion) or to wait for. */
export type VerdictNowOrLater = TrustedIdentity | null | Promise<TrustedIdentity | null>

/**
 * What an adapter calls per request: `verifier.verifyRequestNow` (same rules, verdict and events as
 * verifyRequest, but an acceptance decided at once comes back as the identity itself, not as a promise), or
 * verifyRequest for a verifier without it. A promise means: wait for it (it also carries every rejection);
 * anything else is the verdict. Never throws.
 *
 * ```ts
 * const verdict = verifyRequestNow(verifier, { headers: nodeRequestHeaders(req), remoteAddress })
 * if (verdict instanceof Promise) verdict.then(accept, reject)
 * else accept(verdict)
 * ```
 */
export function verifyRequestNow(verifier: Verifier, request: RequestLike, options?: VerifyOptions): VerdictNowOrLater {
  if (verifier.verifyRequestNow) return verifier.verifyRequestNow(request, options)
  try {
    // A promise of another realm (or a thenable) is made one of this realm, so that `instanceof Promise` holds.
    const verdict = verifier.verifyRequest(request, options)
    return verdict instanceof Promise ? verdict : Promise.resolve(verdict)
  } catch (error) {
    return Promise.reject(error)
  }
}
