import type { Context, MiddlewareHandler } from 'hono'
import { createRequirementGuard, isTrustedProxyAuthError, problemOptionsFor, toProblemDetails, type RouteRequirements } from '@mieweb/trusted-proxy-auth'
import type { TrustedProxyAuthenticatedVariables, TrustedProxyIdentity } from './variables.js'

/**
 * A route guard on top of `trustedProxyAuth()` (contract/requirements.json): claims, groups (`any`/`all`),
 * scopes and a custom `check(identity, c)`. It reads `c.var.trustedIdentity`; without one (middleware not in
 * front of the route, or mode `optional` and no assertion) it answers 401 `missing_assertion`. A failed
 * requirement answers 403 `forbidden_user` (problem+json; the error's `detail` names the requirement, and the
 * body shows it when the middleware's TRUSTED_PROXY_PROBLEM_DETAIL is `diagnostic`); a
 * `TrustedProxyAuthError` thrown by `check` is answered with its own code; any other error propagates to Hono.
 *
 * ```ts
 * app.get('/admin', auth, requireIdentity({ groups: { any: ['admins'] } }), handler)
 * ```
 * With no requirements it only requires an identity. Handlers after it on the same route see
 * `c.var.trustedIdentity` and `c.var.user` typed non-null (TrustedProxyAuthenticatedVariables).
 * @throws TrustedProxyAuthError `invalid_config` at once for a malformed requirement.
 */
export function requireIdentity(requirements: RouteRequirements<Context, TrustedProxyIdentity> = {}): MiddlewareHandler<{ Variables: TrustedProxyAuthenticatedVariables }> {
  const refusalOf = requirementRefusal(requirements)
  return async function trustedProxyRequirement(c, next) {
    const refusal = await refusalOf(c)
    if (refusal) return refusal
    await next()
    return undefined
  }
}

/**
 * The guard's decision for one request (shared by `requireIdentity` and `auth.protect(handler, requirements)`):
 * undefined when `c.var.trustedIdentity` meets `requirements`, else the problem response (401 / 403 or the code a
 * `check` threw). Any other error propagates.
 * @throws TrustedProxyAuthError `invalid_config` at once for a malformed requirement.
 */
export function requirementRefusal(requirements: RouteRequirements<Context, TrustedProxyIdentity>): (c: Context) => Promise<Response | undefined> {
  const guard = createRequirementGuard(requirements)
  return async (c) => {
    try {
      await guard(c.get('trustedIdentity'), c)
      return undefined
    } catch (error) {
      if (!isTrustedProxyAuthError(error)) throw error
      const problem = toProblemDetails(error, undefined, problemOptionsFor(c))
      return new Response(JSON.stringify(problem.body), { status: problem.status, headers: problem.headers })
    }
  }
}
