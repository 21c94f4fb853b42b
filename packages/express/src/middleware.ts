import type { NextFunction, Request, RequestHandler, Response } from 'express'
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
  writeEnrollmentResponse,
} from '@mieweb/trusted-proxy-auth'
import { peerAddress } from './peer-address.js'
import type { TrustedProxyIdentity, TrustedProxyUser } from './user-type.js'
import type { VerifierSource } from '@mieweb/trusted-proxy-auth'

export interface ExpressTrustedProxyAuthOptions extends TrustedProxyAuthOptions, VerifierSource {
  /**
   * Loads or creates the application's own user for a verified identity; the result becomes `req.user`.
   * Returning `null`/`undefined` denies the request (403 `forbidden_user`); a thrown `TrustedProxyAuthError`
   * is answered like any rejection; any other error goes to `next(error)`.
   */
  resolveUser?: (identity: TrustedProxyIdentity, req: Request) => ResolvedUser<TrustedProxyUser>
  /**
   * Answers a rejected request instead of the default problem response. Call `next(error)` to hand it
   * to your Express error handler, or send a response yourself.
   */
  onError?: (error: TrustedProxyAuthError, req: Request, res: Response, next: NextFunction) => void | Promise<void>
  /** Requests for which authentication is skipped (health checks). Mounting the route before the middleware does the same. */
  unless?: (req: Request) => boolean
}

export type TrustedProxyAuthMiddleware = RequestHandler & {
  /** The verifier behind the middleware, e.g. for `authenticateUpgrade` or `close()` in tests. */
  readonly verifier: Verifier
}

const ADAPTER_KEYS = ['resolveUser', 'onError', 'unless'] as const

function sendProblem(res: Response, error: TrustedProxyAuthError, verifier: Verifier): void {
  const problem = toProblemDetails(error, undefined, verifierProblemOptions(verifier))
  // end() rather than send(): send() would append a charset parameter to the problem media type.
  res.status(problem.status).set(problem.headers).end(JSON.stringify(problem.body))
}

/**
 * Express middleware that verifies the assertion of every request it sees and exposes the identity as
 * `req.trustedIdentity` and the application user as `req.user`. With no options it is configured by
 * the TRUSTED_PROXY_* environment variables; options override them. Invalid configuration throws here,
 * at start-up, with every problem listed.
 */
export function trustedProxyAuth(options: ExpressTrustedProxyAuthOptions = {}): TrustedProxyAuthMiddleware {
  const { resolveUser, onError, unless } = options
  const { verifier, enrollment } = authenticationFromAdapterOptions(options, ADAPTER_KEYS)

  const middleware = async function trustedProxyAuthMiddleware(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (enrollment?.handles(req.originalUrl)) {
      try {
        const answer = await enrollmentResponseForNode(enrollment, req, { peerAddress: peerAddress(req), path: req.originalUrl, parsedBody: req.body })
        writeEnrollmentResponse(res, answer, req.method)
      } catch (error) {
        next(error)
      }
      return
    }
    if (unless?.(req)) return next()
    rememberProblemOptions(req, verifier)
    let identity: TrustedProxyIdentity | null
    let user: TrustedProxyUser | undefined
    try {
      // Raw header pairs, because req.headers joins repeated headers and keeps only one Authorization.
      identity = (await verifier.verifyRequest({ headers: rawHeaderPairs(req), remoteAddress: peerAddress(req) })) as TrustedProxyIdentity | null
      // Without a resolver the user is the identity itself: no promise to wait for on every request.
      if (identity) user = (resolveUser ? await resolveAdapterUser(resolveUser, identity, req) : identity) as TrustedProxyUser
    } catch (error) {
      if (!isTrustedProxyAuthError(error)) return next(error)
      if (onError) return onError(error, req, res, next)
      return sendProblem(res, error, verifier)
    }
    req.trustedIdentity = identity
    if (identity) req.user = user
    next()
  }
  return Object.assign(middleware, { verifier })
}
