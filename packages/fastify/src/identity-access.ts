import type { FastifyRequest } from 'fastify'
import { requirePresent } from '@mieweb/trusted-proxy-auth'
import type { TrustedProxyIdentity, TrustedProxyUser } from './user-type.js'

/**
 * `request.trustedIdentity`, non-null: for handlers behind the plugin in mode `required` (or a
 * `requireIdentity` guard), so they need no `!`. Typed with the registered claims (TrustedProxyAuthRegister).
 *
 * ```ts
 * app.get('/me', async (request) => ({ subject: getIdentity(request).subject }))
 * ```
 * @throws TrustedProxyAuthError `missing_assertion` (status 401) when the request has no identity (the route
 * opted out, or mode `optional` and no assertion). Fastify's error handler answers it with its `status` 401;
 * `toProblemDetails(error)` in `setErrorHandler` renders the problem body.
 */
export function getIdentity(request: FastifyRequest): TrustedProxyIdentity {
  return requirePresent(request.trustedIdentity)
}

/**
 * `request.user`, non-null: the registered application user (`resolveUser`), else the identity.
 * @throws TrustedProxyAuthError `missing_assertion` (status 401) when there is no user; see getIdentity.
 */
export function getUser(request: FastifyRequest): TrustedProxyUser {
  return requirePresent(request.user)
}
