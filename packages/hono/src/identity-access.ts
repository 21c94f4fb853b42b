import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { problemOptionsFor, requirePresent, toProblemDetails } from '@mieweb/trusted-proxy-auth'
import type { TrustedProxyAuthVariables, TrustedProxyIdentity, TrustedProxyUser } from './variables.js'

function presentOrProblem<Value>(c: Context, value: Value | null | undefined): Value {
  try {
    return requirePresent(value)
  } catch (error) {
    const problem = toProblemDetails(error, undefined, problemOptionsFor(c))
    // An HTTPException carrying the problem response: Hono's default error handler answers with it as is.
    throw new HTTPException(401, { res: new Response(JSON.stringify(problem.body), { status: problem.status, headers: problem.headers }), cause: error })
  }
}

/**
 * `c.var.trustedIdentity`, non-null: for handlers behind `trustedProxyAuth()` in mode `required` (or a
 * `requireIdentity` guard), so they need no `!`. Typed with the registered claims (TrustedProxyAuthRegister).
 * After `requireIdentity(...)` in the same route, `c.var.trustedIdentity` is typed non-null by itself.
 *
 * ```ts
 * app.get('/me', auth, (c) => c.json({ subject: getIdentity(c).subject }))
 * ```
 * @throws HTTPException (401) whose response is the `missing_assertion` problem when the request has no
 * identity (the middleware is not in front of the route, or mode `optional` and no assertion); its `cause`
 * is the TrustedProxyAuthError. Hono's default error handler answers with that response.
 */
export function getIdentity(c: Context): TrustedProxyIdentity {
  return presentOrProblem(c, (c as Context<{ Variables: Partial<TrustedProxyAuthVariables> }>).var.trustedIdentity)
}

/**
 * `c.var.user`, non-null: the registered application user (`resolveUser`), else the identity.
 * @throws HTTPException (401, the `missing_assertion` problem) when there is no user; see getIdentity.
 */
export function getUser(c: Context): TrustedProxyUser {
  return presentOrProblem(c, (c as Context<{ Variables: Partial<TrustedProxyAuthVariables> }>).var.user)
}
