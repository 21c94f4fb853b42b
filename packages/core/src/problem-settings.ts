import { verifierProblemOptions } from './enrollment/page/enrollment-aware-verifier.js'
import type { ProblemOptions } from './problem-details.js'
import type { Verifier } from './verifier.js'

/**
 * The problem-detail setting (TRUSTED_PROXY_PROBLEM_DETAIL) of the verifier that saw a request, keyed by the
 * framework's request object (Express `req`, Fastify `request`, Hono `c`, Koa `ctx`). A route guard runs after
 * the middleware and has no verifier of its own; through this it answers with the same setting. Weak keys:
 * the entry goes with the request.
 */
const problemOptionsByRequest = new WeakMap<object, ProblemOptions>()

/** Called by an adapter's middleware for every request it sees, before verifying. */
export function rememberProblemOptions(request: object, verifier: Verifier): void {
  // An enrollment-aware verifier has a configuration only once enrolled.
  const options = verifierProblemOptions(verifier)
  // `generic` is what an absent entry reads as: no weak entry is made for it on every request (each one costs
  // the garbage collector work), and a delete undoes what an earlier middleware on the same request recorded.
  if (options.problemDetail === 'generic') problemOptionsByRequest.delete(request)
  else problemOptionsByRequest.set(request, options)
}

/**
 * The setting remembered for this request; `generic` when no middleware saw it (a guard without the
 * middleware in front answers with the contract's fixed message only).
 */
export function problemOptionsFor(request: object): ProblemOptions {
  return problemOptionsByRequest.get(request) ?? { problemDetail: 'generic' }
}
