import type { Context } from 'koa'
import { requirePresent } from '@mieweb/trusted-proxy-auth'
import type { TrustedProxyAuthState, TrustedProxyIdentity, TrustedProxyUser } from './user-type.js'

/** Any Koa or router context: only `ctx.state` is read. */
type ContextWithState = Pick<Context, 'state'>

/**
 * `ctx.state.trustedIdentity`, non-null: for handlers behind `trustedProxyAuth()` in mode `required` (or a
 * `requireIdentity` guard), so they need no `!`. Typed with the registered claims (TrustedProxyAuthRegister).
 *
 * ```ts
 * router.get('/me', (ctx) => { ctx.body = { subject: getIdentity(ctx).subject } })
 * ```
 * @throws TrustedProxyAuthError `missing_assertion` (status 401) when the request has no identity (the
 * middleware is not in front of the route, or mode `optional` and no assertion). Koa answers it with its
 * `status` 401; `toProblemDetails(error)` in an error-handling middleware renders the problem body.
 */
export function getIdentity(ctx: ContextWithState): TrustedProxyIdentity {
  return requirePresent((ctx.state as TrustedProxyAuthState).trustedIdentity)
}

/**
 * `ctx.state.user`, non-null: the registered application user (`resolveUser`), else the identity.
 * @throws TrustedProxyAuthError `missing_assertion` (status 401) when there is no user; see getIdentity.
 */
export function getUser(ctx: ContextWithState): TrustedProxyUser {
  return requirePresent((ctx.state as TrustedProxyAuthState).user)
}
