import type { NextFunction, Request, RequestHandler, Response } from 'express'
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

  async function answerEnrollment(page: EnrollmentPage, req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const answer = await enrollmentResponseForNode(page, req, { peerAddress: peerAddress(req), path: req.originalUrl, parsedBody: req.body })
      writeEnrollmentResponse(res, answer, req.method)
    } catch (error) {
      next(error)
    }
  }

  /** A refused request: onError, else the problem response; any other error goes to `next(error)`. */
  function refuse(error: unknown, req: Request, res: Response, next: NextFunction): void | Promise<void> {
    if (!isTrustedProxyAuthError(error)) return next(error)
    if (onError) return onError(error, req, res, next)
    return sendProblem(res, error, verifier)
  }

  function admit(req: Request, identity: TrustedProxyIdentity | null, user: TrustedProxyUser | undefined, next: NextFunction): void {
    req.trustedIdentity = identity
    if (identity) req.user = user
    next()
  }

  /** The verified identity's user (the identity itself without a resolver: no promise then), then the next handler. */
  function accept(identity: TrustedProxyIdentity | null, req: Request, res: Response, next: NextFunction): void | Promise<void> {
    if (identity && resolveUser) {
      return resolveAdapterUser(resolveUser, identity, req).then(
        (user) => admit(req, identity, user as TrustedProxyUser, next),
        (error: unknown) => refuse(error, req, res, next),
      )
    }
    return admit(req, identity, (identity ?? undefined) as TrustedProxyUser | undefined, next)
  }

  // Not an async function: a request accepted at once (a cache hit) reaches next() within this call, with no
  // promise made. What waits is returned as a promise, which Express 5 watches for errors (as it did the async form).
  const middleware = function trustedProxyAuthMiddleware(req: Request, res: Response, next: NextFunction): void | Promise<void> {
    if (enrollment?.handles(req.originalUrl)) return answerEnrollment(enrollment, req, res, next)
    if (unless?.(req)) return next()
    rememberProblemOptions(req, verifier)
    // The raw header list, because req.headers joins repeated headers and keeps only one Authorization.
    const verdict = verifyRequestNow(verifier, { headers: req.rawHeaders, remoteAddress: peerAddress(req) })
    if (verdict instanceof Promise) {
      return verdict.then(
        (identity) => accept(identity as TrustedProxyIdentity | null, req, res, next),
        (error: unknown) => refuse(error, req, res, next),
      )
    }
    return accept(verdict as TrustedProxyIdentity | null, req, res, next)
  }
  return Object.assign(middleware, { verifier })
}
