import type { Context, Middleware, Next } from 'koa'
import {
  authenticationFromAdapterOptions,
  enrollmentResponseForNode,
  isTrustedProxyAuthError,
  verifierProblemOptions,
  rawHeaderPairs,
  rememberProblemOptions,
  resolveAdapterUser,
  toProblemDetails,
  type ResolvedUser,
  type TrustedProxyAuthError,
  type TrustedProxyAuthOptions,
  type Verifier,
} from '@mieweb/trusted-proxy-auth'
import { peerAddress } from './peer-address.js'
import type { TrustedProxyAuthState, TrustedProxyIdentity, TrustedProxyUser } from './user-type.js'
import type { VerifierSource } from '@mieweb/trusted-proxy-auth'

export interface KoaTrustedProxyAuthOptions extends TrustedProxyAuthOptions, VerifierSource {
  /**
   * Loads or creates the application's own user for a verified identity; the result becomes `ctx.state.user`.
   * Returning `null`/`undefined` denies the request (403 `forbidden_user`); a thrown `TrustedProxyAuthError`
   * is answered like any rejection; any other error propagates to Koa.
   */
  resolveUser?: (identity: TrustedProxyIdentity, ctx: Context) => ResolvedUser<TrustedProxyUser>
  /** Answers a rejected request instead of the default problem response (set `ctx.status`/`ctx.body`, or throw). */
  onError?: (error: TrustedProxyAuthError, ctx: Context) => void | Promise<void>
  /** Requests for which authentication is skipped (health checks). Using it per router or route does the same. */
  unless?: (ctx: Context) => boolean
}

export type TrustedProxyAuthMiddleware = Middleware<TrustedProxyAuthState> & {
  /** The verifier behind the middleware, e.g. for `authenticateUpgrade`. */
  readonly verifier: Verifier
}

const ADAPTER_KEYS = ['resolveUser', 'onError', 'unless'] as const

function answerProblem(ctx: Context, error: TrustedProxyAuthError, verifier: Verifier): void {
  const problem = toProblemDetails(error, undefined, verifierProblemOptions(verifier))
  ctx.status = problem.status
  // Headers first: Koa picks text/plain for a string body only when no Content-Type is set yet.
  ctx.set(problem.headers)
  ctx.body = JSON.stringify(problem.body)
}

/**
 * Koa middleware that verifies the assertion and exposes the identity as `ctx.state.trustedIdentity` and
 * the application user as `ctx.state.user`. With no options it is configured by the TRUSTED_PROXY_*
 * environment variables; options override them, and invalid configuration throws here with every problem listed.
 */
export function trustedProxyAuth(options: KoaTrustedProxyAuthOptions = {}): TrustedProxyAuthMiddleware {
  const { resolveUser, onError, unless } = options
  const { verifier, enrollment } = authenticationFromAdapterOptions(options, ADAPTER_KEYS)

  const middleware = async function trustedProxyAuthMiddleware(ctx: Context, next: Next): Promise<void> {
    if (enrollment?.handles(ctx.originalUrl)) {
      const parsedBody = (ctx.request as { body?: unknown }).body
      const answer = await enrollmentResponseForNode(enrollment, ctx.req, { peerAddress: peerAddress(ctx), path: ctx.originalUrl, parsedBody })
      ctx.status = answer.status
      ctx.set(answer.headers)
      ctx.body = answer.body
      return
    }
    if (unless?.(ctx)) return next()
    rememberProblemOptions(ctx, verifier)
    let identity: TrustedProxyIdentity | null
    let user: TrustedProxyUser | undefined
    try {
      // Raw header pairs, because ctx.headers joins repeated headers and keeps only one Authorization.
      identity = (await verifier.verifyRequest({ headers: rawHeaderPairs(ctx.req), remoteAddress: peerAddress(ctx) })) as TrustedProxyIdentity | null
      // Without a resolver the user is the identity itself: no promise to wait for on every request.
      if (identity) user = (resolveUser ? await resolveAdapterUser(resolveUser, identity, ctx) : identity) as TrustedProxyUser
    } catch (error) {
      if (!isTrustedProxyAuthError(error)) throw error
      if (onError) return onError(error, ctx)
      return answerProblem(ctx, error, verifier)
    }
    ctx.state.trustedIdentity = identity
    if (identity) ctx.state.user = user
    return next()
  }
  return Object.assign(middleware as Middleware<TrustedProxyAuthState>, { verifier })
}
