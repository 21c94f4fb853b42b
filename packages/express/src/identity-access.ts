import type { Request } from 'express'
import { requirePresent } from '@mieweb/trusted-proxy-auth'
import type { TrustedProxyIdentity, TrustedProxyUser } from './user-type.js'

/**
 * `req.trustedIdentity`, non-null: for handlers behind `trustedProxyAuth()` in mode `required` (or a
 * `requireIdentity` guard), so they need no `!`. Typed with the registered claims (TrustedProxyAuthRegister).
 *
 * ```ts
 * app.get('/me', (req, res) => { res.json({ subject: getIdentity(req).subject }) })
 * ```
 * @throws TrustedProxyAuthError `missing_assertion` (status 401) when the request has no identity (the
 * middleware is not in front of the route, or mode `optional` and no assertion). Express's error handling
 * answers it with status 401; `toProblemDetails(error)` in an error handler renders the problem body.
 */
export function getIdentity(req: Request): TrustedProxyIdentity {
  return requirePresent(req.trustedIdentity)
}

/**
 * `req.user`, non-null: the registered application user (`resolveUser`), else the identity.
 * @throws TrustedProxyAuthError `missing_assertion` (status 401) when the request has no user; see getIdentity.
 */
export function getUser(req: Request): TrustedProxyUser {
  return requirePresent(req.user)
}
