import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createRequirementGuard, isTrustedProxyAuthError, problemOptionsFor, toProblemDetails, type RouteRequirements } from '@mieweb/trusted-proxy-auth'
import type { TrustedProxyIdentity } from './user-type.js'

/**
 * A route guard on top of `trustedProxyAuth()` (contract/requirements.json): claims, groups (`any`/`all`),
 * scopes and a custom `check(identity, req)`. It reads `req.trustedIdentity`; without one (middleware not in
 * front of the route, or mode `optional` and no assertion) it answers 401 `missing_assertion`. A failed
 * requirement answers 403 `forbidden_user` (problem+json; the error's `detail` names the requirement, and the
 * body shows it when the middleware's TRUSTED_PROXY_PROBLEM_DETAIL is `diagnostic`); a
 * `TrustedProxyAuthError` thrown by `check` is answered with its own code; any other error goes to `next(error)`.
 *
 * ```ts
 * app.get('/admin', requireIdentity({ groups: { any: ['admins'] } }), handler)
 * ```
 * With no requirements it only requires an identity.
 * @throws TrustedProxyAuthError `invalid_config` at once for a malformed requirement.
 */
export function requireIdentity(requirements: RouteRequirements<Request, TrustedProxyIdentity> = {}): RequestHandler {
  const guard = createRequirementGuard(requirements)
  return async function trustedProxyRequirement(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      await guard(req.trustedIdentity, req)
    } catch (error) {
      if (!isTrustedProxyAuthError(error)) return next(error)
      const problem = toProblemDetails(error, undefined, problemOptionsFor(req))
      // end() rather than send(): send() would append a charset parameter to the problem media type.
      res.status(problem.status).set(problem.headers).end(JSON.stringify(problem.body))
      return
    }
    next()
  }
}
