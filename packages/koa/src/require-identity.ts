import type { Context, Middleware, Next } from 'koa'
import { createRequirementGuard, isTrustedProxyAuthError, problemOptionsFor, toProblemDetails, type RouteRequirements } from '@mieweb/trusted-proxy-auth'
import type { TrustedProxyAuthState, TrustedProxyIdentity } from './user-type.js'

/**
 * A route guard on top of `trustedProxyAuth()` (contract/requirements.json): claims, groups (`any`/`all`),
 * scopes and a custom `check(identity, ctx)`. It reads `ctx.state.trustedIdentity`; without one (middleware
 * not in front of the route, or mode `optional` and no assertion) it answers 401 `missing_assertion`. A failed
 * requirement answers 403 `forbidden_user` (problem+json; the error's `detail` names the requirement, and the
 * body shows it when the middleware's TRUSTED_PROXY_PROBLEM_DETAIL is `diagnostic`); a
 * `TrustedProxyAuthError` thrown by `check` is answered with its own code; any other error is rethrown.
 *
 * ```ts
 * router.get('/admin', requireIdentity({ groups: { any: ['admins'] } }), handler)
 * ```
 * With no requirements it only requires an identity.
 * @throws TrustedProxyAuthError `invalid_config` at once for a malformed requirement.
 */
export function requireIdentity(requirements: RouteRequirements<Context, TrustedProxyIdentity> = {}): Middleware<TrustedProxyAuthState> {
  const guard = createRequirementGuard(requirements)
  return async function trustedProxyRequirement(ctx: Context, next: Next): Promise<void> {
    try {
      await guard((ctx.state as TrustedProxyAuthState).trustedIdentity, ctx)
    } catch (error) {
      if (!isTrustedProxyAuthError(error)) throw error
      const problem = toProblemDetails(error, undefined, problemOptionsFor(ctx))
      ctx.status = problem.status
      // Headers first: Koa picks text/plain for a string body only when no Content-Type is set yet.
      ctx.set(problem.headers)
      ctx.body = JSON.stringify(problem.body)
      return
    }
    await next()
  }
}
