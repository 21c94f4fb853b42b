import type { FastifyReply, FastifyRequest } from 'fastify'
import { createRequirementGuard, isTrustedProxyAuthError, problemOptionsFor, toProblemDetails, type RouteRequirements } from '@mieweb/trusted-proxy-auth'
import type { TrustedProxyIdentity } from './user-type.js'

/** A `preHandler` hook; also accepted as `onRequest` when the plugin's hook runs before it. */
export type TrustedProxyRequirementHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>

/**
 * A route guard on top of the plugin (contract/requirements.json): claims, groups (`any`/`all`), scopes and a
 * custom `check(identity, request)`. Use it as the route's `preHandler`. It reads `request.trustedIdentity`;
 * without one (the route opted out, or mode `optional` and no assertion) it answers 401 `missing_assertion`.
 * A failed requirement answers 403 `forbidden_user` (problem+json; the error's `detail` names the requirement);
 * a `TrustedProxyAuthError` thrown by `check` is answered with its own code; any other error goes to
 * Fastify's error handler.
 *
 * ```ts
 * app.get('/admin', { preHandler: requireIdentity({ groups: { any: ['admins'] } }) }, handler)
 * ```
 * With no requirements it only requires an identity.
 * @throws TrustedProxyAuthError `invalid_config` at once for a malformed requirement.
 */
export function requireIdentity(requirements: RouteRequirements<FastifyRequest, TrustedProxyIdentity> = {}): TrustedProxyRequirementHook {
  const guard = createRequirementGuard(requirements)
  return async function trustedProxyRequirement(request, reply) {
    try {
      await guard(request.trustedIdentity, request)
    } catch (error) {
      if (!isTrustedProxyAuthError(error)) throw error
      const problem = toProblemDetails(error, undefined, problemOptionsFor(request))
      // Returning the reply tells Fastify the request was answered here.
      return reply.code(problem.status).headers(problem.headers).send(JSON.stringify(problem.body))
    }
    return undefined
  }
}
