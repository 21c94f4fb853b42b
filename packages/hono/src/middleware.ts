import type { Context, Env, Handler, MiddlewareHandler, Next } from 'hono'
import type { BlankInput, HandlerResponse } from 'hono/types'
import { env as runtimeEnv } from 'hono/adapter'
import type { GetConnInfo } from 'hono/conninfo'
import {
  authenticationFromAdapterOptions,
  isTrustedProxyAuthError,
  MAX_FORM_BYTES,
  parseForm,
  rememberProblemOptions,
  verifierProblemOptions,
  type AdapterAuthentication,
  type EnrollmentPage,
  resolveAdapterUser,
  toProblemDetails,
  type EnvInput,
  type ResolvedUser,
  type RouteRequirements,
  type TrustedProxyAuthError,
  type TrustedProxyAuthOptions,
  type Verifier,
  verifyRequestNow,
} from '@mieweb/trusted-proxy-auth'
import { requestHeaders } from './node-incoming.js'
import { peerAddress } from './peer-address.js'
import { requirementRefusal } from './require-identity.js'
import type { TrustedProxyAuthVariables, TrustedProxyIdentity, TrustedProxyUser } from './variables.js'
import type { VerifierSource } from '@mieweb/trusted-proxy-auth'

export interface HonoTrustedProxyAuthOptions extends TrustedProxyAuthOptions, Omit<VerifierSource, 'env'> {
  /**
   * Where TRUSTED_PROXY_* variables come from. Default: `process.env` where the runtime has one (Node,
   * Bun, Deno); elsewhere (Cloudflare Workers) the request's bindings through `hono/adapter`'s `env(c)`.
   * A function is called once, on the first request, and the verifier it yields is kept.
   */
  env?: EnvInput | ((c: Context) => EnvInput)
  /** The runtime's connection-info helper, e.g. `getConnInfo` from `@hono/node-server/conninfo`; see README. */
  getConnInfo?: GetConnInfo
  /**
   * Loads or creates the application's own user for a verified identity; the result becomes `c.var.user`.
   * Returning `null`/`undefined` denies the request (403 `forbidden_user`); a thrown `TrustedProxyAuthError`
   * is answered like any rejection; any other error propagates to Hono.
   */
  resolveUser?: (identity: TrustedProxyIdentity, c: Context) => ResolvedUser<TrustedProxyUser>
  /** Builds the response for a rejected request instead of the default problem response. */
  onError?: (error: TrustedProxyAuthError, c: Context) => Response | Promise<Response>
}

export type TrustedProxyAuthMiddleware = MiddlewareHandler<{ Variables: TrustedProxyAuthVariables }> & {
  /** The verifier, once built (at once, unless `env` comes from the request's bindings). */
  readonly verifier: Verifier | undefined
  /**
   * The same check around one handler, as the route's only handler:
   * `app.get('/me', auth.protect((c) => c.json(c.var.user)))`. Same answers, variables and options as the
   * middleware; like the middleware mounted on some routes only, it answers the enrollment page only on a route
   * whose path is the page's. Why it exists: Hono runs a route with one handler directly and composes a route with
   * two or more (an async dispatch per handler and an async wrapper), which is most of what a middleware costs a
   * cached request (bench/hono-hit-path.mjs measures both forms). A request accepted at once (keys loaded, or a
   * cache hit) calls `handler` within this call and returns what it returns; a request that waits (keys loading,
   * a resolver) or is refused gets a promise of the answer, whatever `R` says (Hono awaits either).
   * A handler that answers nothing gets Hono's answer for a one-handler route (404), not the middleware form's
   * "Context is not finalized" error.
   * `E`: the app's own Env when the handler needs its other variables or bindings (`auth.protect<AppEnv>(…)`).
   * `requirements`: the route's guard (as `requireIdentity(requirements)`, contract/requirements.json), checked
   * after the verification and before `handler`: 401 `missing_assertion` without an identity, 403
   * `forbidden_user` for a failed requirement. Nothing placed after `protect` on a route runs, so a guard goes here.
   * With requirements the answer is always a promise (a `check` may be asynchronous).
   * @throws TrustedProxyAuthError `invalid_config` at once for a malformed requirement.
   */
  protect<E extends Env = { Variables: TrustedProxyAuthVariables }, R extends HandlerResponse<unknown> = HandlerResponse<unknown>>(
    handler: ProtectedHandler<E, R>,
    requirements?: RouteRequirements<Context<E & { Variables: TrustedProxyAuthVariables }>, TrustedProxyIdentity>,
  ): ProtectedHandler<E, R>
}

/**
 * A handler given to `protect`: the variables typed as after the middleware, the app's Env `E` besides. Its path
 * parameters are typed `string | undefined`: Hono infers a route's path only for the handlers written in the
 * route itself.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the path is the route's, unknown here
export type ProtectedHandler<E extends Env, R extends HandlerResponse<unknown>> = Handler<E & { Variables: TrustedProxyAuthVariables }, any, BlankInput, R>

const ADAPTER_KEYS = ['getConnInfo', 'resolveUser', 'onError'] as const

const nothing = (): void => undefined

function problemResponse(error: unknown, verifier: Verifier | undefined): Response {
  const problem = toProblemDetails(error, undefined, verifier ? verifierProblemOptions(verifier) : { problemDetail: 'generic' })
  return new Response(JSON.stringify(problem.body), { status: problem.status, headers: problem.headers })
}

/**
 * Hono middleware that verifies the assertion and sets `c.var.trustedIdentity` and `c.var.user`. It uses
 * only fetch-standard APIs, so it runs on every runtime Hono runs on. With no options it is configured by
 * the TRUSTED_PROXY_* environment variables; options override them. Invalid configuration throws here
 * (or, with bindings-based env, on the first request as a 500 problem).
 */
export function trustedProxyAuth(options: HonoTrustedProxyAuthOptions = {}): TrustedProxyAuthMiddleware {
  const { getConnInfo, resolveUser, onError } = options
  const processEnv = globalThis.process?.env as EnvInput | undefined
  const envSource = options.env ?? (options.verifier || processEnv ? processEnv : (c: Context) => runtimeEnv(c) as EnvInput)
  const build = (env: EnvInput | undefined): AdapterAuthentication =>
    authenticationFromAdapterOptions({ ...options, env: options.verifier ? undefined : env }, ADAPTER_KEYS)

  let built: AdapterAuthentication | undefined = typeof envSource === 'function' ? undefined : build(envSource)
  let verifier: Verifier | undefined = built?.verifier

  /**
   * Sets the identity and the user (the identity itself without a resolver), then goes on: to `handler` (protect),
   * else to next(). The middleware resolves to nothing, as an async middleware that awaits next() does: Hono's
   * next() resolves to the context, which Hono would otherwise take for this middleware's response (and a handler
   * that answers nothing would then escape the app's onError).
   */
  function admit(c: Context, identity: TrustedProxyIdentity | null, user: TrustedProxyUser | null, next: Next, handler: Handler | undefined): unknown {
    c.set('trustedIdentity', identity)
    c.set('user', user)
    return handler ? handler(c, next) : next().then(nothing)
  }

  /** A rejection: onError's response, else the problem response; any other error propagates to Hono. */
  function refuse(error: unknown, c: Context): Response | Promise<Response> {
    if (!isTrustedProxyAuthError(error)) throw error
    return onError ? onError(error, c) : problemResponse(error, verifier)
  }

  /** What waits: the verdict, then the resolver. */
  async function admitLater(c: Context, verdict: ReturnType<typeof verifyRequestNow>, next: Next, handler: Handler | undefined): Promise<unknown> {
    let identity: TrustedProxyIdentity | null
    let user: TrustedProxyUser | null = null
    try {
      identity = (await verdict) as TrustedProxyIdentity | null
      if (identity) user = (resolveUser ? await resolveAdapterUser(resolveUser, identity, c) : identity) as TrustedProxyUser
    } catch (error) {
      return refuse(error, c)
    }
    return admit(c, identity, user, next, handler)
  }

  /**
   * The check, then `handler` or next(). Not an async function: a request accepted at once (a cache hit, no
   * resolver) goes on within this call, and Hono awaits what it returns: no promise or microtask hop of ours.
   * Everything else (waiting, a resolver, a rejection) takes admitLater / refuse, with the same answers.
   */
  function check(c: Context, next: Next, handler: Handler | undefined): unknown {
    let verdict: ReturnType<typeof verifyRequestNow>
    try {
      built ??= build((envSource as (c: Context) => EnvInput)(c))
      verifier = built.verifier
      if (built.enrollment?.handles(c.req.path)) return answerEnrollment(built.enrollment, c, getConnInfo).catch((error: unknown) => refuse(error, c))
      rememberProblemOptions(c, verifier)
      verdict = verifyRequestNow(verifier, { headers: requestHeaders(c), remoteAddress: peerAddress(c, getConnInfo) })
    } catch (error) {
      return Promise.resolve().then(() => refuse(error, c))
    }
    if (verdict instanceof Promise || (verdict !== null && resolveUser)) return admitLater(c, verdict, next, handler)
    return admit(c, verdict as TrustedProxyIdentity | null, verdict as TrustedProxyUser | null, next, handler)
  }

  const middleware = function trustedProxyAuthMiddleware(c: Context, next: Next) {
    return check(c, next, undefined) as Promise<Response | void>
  } as MiddlewareHandler<{ Variables: TrustedProxyAuthVariables }>
  const protect = (handler: Handler, requirements?: RouteRequirements<Context, TrustedProxyIdentity>): Handler => {
    let checked = handler
    if (requirements !== undefined) {
      // Built here, so a malformed requirement throws invalid_config when the route is declared.
      const refusalOf = requirementRefusal(requirements)
      checked = async (c, next) => (await refusalOf(c)) ?? handler(c, next)
    }
    return function trustedProxyAuthProtected(c, next) {
      return check(c, next, checked) as ReturnType<Handler>
    }
  }
  Object.defineProperty(middleware, 'protect', { value: protect, enumerable: true })
  return Object.defineProperty(middleware, 'verifier', { get: () => verifier, enumerable: true }) as TrustedProxyAuthMiddleware
}

/** The enrollment page's answer; the form is read here (URL-encoded, at most MAX_FORM_BYTES: 413 past it). */
async function answerEnrollment(page: EnrollmentPage, c: Context, getConnInfo: GetConnInfo | undefined): Promise<Response> {
  let form: Record<string, string> | null = null
  if (c.req.method === 'POST') {
    const declared = Number(c.req.header('content-length') ?? '0')
    const text = declared > MAX_FORM_BYTES ? null : await c.req.text()
    if (text === null || new TextEncoder().encode(text).byteLength > MAX_FORM_BYTES) {
      return new Response(`the form is larger than ${MAX_FORM_BYTES} bytes\n`, { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } })
    }
    form = (c.req.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded') ? parseForm(text) : {}
  }
  const answer = await page.handle({ method: c.req.method, path: c.req.path, headers: c.req.raw.headers, form, peerAddress: peerAddress(c, getConnInfo) })
  return new Response(c.req.method === 'HEAD' ? null : answer.body, { status: answer.status, headers: answer.headers })
}
