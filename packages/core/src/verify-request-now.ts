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
 * A verifier of one's own (the `verifier` option) is held to that shape, so that an adapter's
 * `instanceof Promise` can never mistake a pending answer for an identity: a promise of another realm or any
 * other thenable becomes a promise of this realm, and a verdict (given at once or awaited) that is neither an
 * object nor null rejects with a TypeError. Fails closed: an adapter answers such a rejection as an error, it
 * never lets the request through.
 *
 * ```ts
 * const verdict = verifyRequestNow(verifier, { headers: nodeRequestHeaders(req), remoteAddress })
 * if (verdict instanceof Promise) verdict.then(accept, reject)
 * else accept(verdict)
 * ```
 */
export function verifyRequestNow(verifier: Verifier, request: RequestLike, options?: VerifyOptions): VerdictNowOrLater {
  let verdict: unknown
  try {
    verdict = verifier.verifyRequestNow ? verifier.verifyRequestNow(request, options) : verifier.verifyRequest(request, options)
  } catch (error) {
    return Promise.reject(error)
  }
  if (verdict instanceof Promise) return verdict.then(settledVerdict)
  if (isThenable(verdict)) return Promise.resolve(verdict).then(settledVerdict)
  return verdict === null || typeof verdict === 'object' ? (verdict as TrustedIdentity | null) : Promise.reject(notAVerdict())
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/** An awaited verdict: an identity object or null; anything else (undefined from a broken verifier) rejects. */
function settledVerdict(verdict: unknown): TrustedIdentity | null {
  if (verdict === null || (typeof verdict === 'object' && !isThenable(verdict))) return verdict as TrustedIdentity | null
  throw notAVerdict()
}

// The value itself is never shown: a broken verifier might answer with the assertion.
const notAVerdict = (): TypeError => new TypeError('the verifier answered neither an identity, null nor a promise of one')
