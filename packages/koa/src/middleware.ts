import type { Context, Middleware, Next } from 'koa'
import {
  authenticationFromAdapterOptions,
  enrollmentResponseForNode,
  isTrustedProxyAuthError,
  verifierProblemOptions,
  rememberProblemOptions,
  resolveAdapterUser,
  toProblemDetails,
  type EnrollmentPage,
  type ResolvedUser,
  type TrustedProxyAuthError,
  type TrustedProxyAuthOptions,
  type Verifier,
  verifyRequestNow,
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

  async function answerEnrollment(page: EnrollmentPage, ctx: Context): Promise<void> {
    const parsedBody = (ctx.request as { body?: unknown }).body
    const answer = await enrollmentResponseForNode(page, ctx.req, { peerAddress: peerAddress(ctx), path: ctx.originalUrl, parsedBody })
    ctx.status = answer.status
    ctx.set(answer.headers)
    ctx.body = answer.body
  }

  /** A refused request: onError, else the problem response; any other error propagates to Koa. */
  function refuse(error: unknown, ctx: Context): void | Promise<void> {
    if (!isTrustedProxyAuthError(error)) throw error
    if (onError) return onError(error, ctx)
    return answerProblem(ctx, error, verifier)
  }

  function admit(ctx: Context, identity: TrustedProxyIdentity | null, user: TrustedProxyUser | undefined, next: Next): Promise<void> {
    ctx.state.trustedIdentity = identity
    if (identity) ctx.state.user = user
    return next()
  }

  /** The verified identity's user (the identity itself without a resolver: no promise then), then downstream. */
  function accept(identity: TrustedProxyIdentity | null, ctx: Context, next: Next): Promise<void> {
    if (identity && resolveUser) {
      return resolveAdapterUser(resolveUser, identity, ctx).then(
        (user) => admit(ctx, identity, user as TrustedProxyUser, next),
        (error: unknown) => refuse(error, ctx),
      )
    }
    return admit(ctx, identity, (identity ?? undefined) as TrustedProxyUser | undefined, next)
  }

  // Not an async function: a request accepted at once (a cache hit) hands downstream's own promise back to
  // koa-compose, with no promise of ours in between; what waits chains onto the verifier's promise.
  const middleware = function trustedProxyAuthMiddleware(ctx: Context, next: Next): Promise<void> | void {
    if (enrollment?.handles(ctx.originalUrl)) return answerEnrollment(enrollment, ctx)
    if (unless?.(ctx)) return next()
    rememberProblemOptions(ctx, verifier)
    // The raw header list, because ctx.headers joins repeated headers and keeps only one Authorization.
    const verdict = verifyRequestNow(verifier, { headers: ctx.req.rawHeaders, remoteAddress: peerAddress(ctx) })
    if (verdict instanceof Promise) {
      return verdict.then(
        (identity) => accept(identity as TrustedProxyIdentity | null, ctx, next),
        (error: unknown) => refuse(error, ctx),
      )
    }
    return accept(verdict as TrustedProxyIdentity | null, ctx, next)
  }
  return Object.assign(middleware as Middleware<TrustedProxyAuthState>, { verifier })
}
