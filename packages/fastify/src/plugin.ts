import type { FastifyInstance, FastifyPluginOptions, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import {
  authenticationFromAdapterOptions,
  ENV_CONTRACT,
  verifierProblemOptions,
  type EnrollmentPage,
  isTrustedProxyAuthError,
  MAX_FORM_BYTES,
  parseForm,
  rawHeaderPairs,
  rememberProblemOptions,
  resolveAdapterUser,
  toProblemDetails,
  TrustedProxyAuthError,
  type ResolvedUser,
  type TrustedProxyAuthOptions,
  type Verifier,
  verifyRequestNow,
} from '@mieweb/trusted-proxy-auth'
import { requireIdentity } from './require-identity.js'
import type { TrustedProxyIdentity, TrustedProxyUser } from './user-type.js'
import type { VerifierSource } from '@mieweb/trusted-proxy-auth'

export interface FastifyTrustedProxyAuthOptions extends TrustedProxyAuthOptions, VerifierSource {
  /**
   * Loads or creates the application's own user for a verified identity; the result becomes `request.user`.
   * Returning `null`/`undefined` denies the request (403 `forbidden_user`); a thrown `TrustedProxyAuthError`
   * is answered like any rejection; any other error goes to Fastify's error handler.
   */
  resolveUser?: (identity: TrustedProxyIdentity, request: FastifyRequest) => ResolvedUser<TrustedProxyUser>
  /**
   * Answers a rejected request instead of the default problem response. It must send a reply
   * (`reply.code(…).send(…)`) or throw to hand the error to Fastify's error handler.
   */
  onError?: (error: TrustedProxyAuthError, request: FastifyRequest, reply: FastifyReply) => void | Promise<void>
  /**
   * `true` (default): registering adds an `onRequest` hook to every route of the scope it is registered in.
   * `false`: registering only declares `request.user`; put the plugin in a route's `onRequest` yourself.
   */
  global?: boolean
}

/** Both a Fastify plugin (`app.register(auth)`) and an `onRequest` hook (`{ onRequest: auth }`). */
export interface TrustedProxyAuthPlugin {
  (instance: FastifyInstance, options: FastifyPluginOptions): Promise<void>
  /**
   * As a hook: a request accepted at once (a verified-assertion cache hit) calls `done` within the call and
   * returns undefined; otherwise it returns a promise, which Fastify waits for.
   */
  (request: FastifyRequest, reply: FastifyReply, done?: HookHandlerDoneFunction): Promise<unknown> | undefined
  /** The verifier behind the plugin, e.g. for `authenticateUpgrade`. */
  readonly verifier: Verifier
}

export const PLUGIN_NAME = '@mieweb/trusted-proxy-auth-fastify'
const ADAPTER_KEYS = ['resolveUser', 'onError', 'global'] as const
const OPTION_NAMES = new Set<string>([...ENV_CONTRACT.variables.map((variable) => variable.option), ...ADAPTER_KEYS, 'verifier', 'env', 'onEvent', 'logger', 'enrollment'])

function isFastifyInstance(value: unknown): value is FastifyInstance {
  return typeof (value as FastifyInstance).decorateRequest === 'function' && typeof (value as FastifyInstance).addHook === 'function'
}

/**
 * Verifies the assertion and exposes the identity as `request.trustedIdentity` and the application user
 * as `request.user`. With no options it is configured by the TRUSTED_PROXY_* environment variables;
 * options override them, and invalid configuration throws here with every problem listed.
 *
 * Register it (`app.register(trustedProxyAuth())`) to protect every route of that scope (encapsulation is
 * respected: sibling scopes are untouched) and opt a route out with `config: { trustedProxyAuth: false }`;
 * or register it with `global: false` and use it as a route's `onRequest` hook. Routes added after it in that
 * scope may carry `config: { trustedProxyRequirements: {...} }`, the route-option form of `requireIdentity`.
 */
export function trustedProxyAuth(options: FastifyTrustedProxyAuthOptions = {}): TrustedProxyAuthPlugin {
  const { resolveUser, onError } = options
  const { verifier, enrollment } = authenticationFromAdapterOptions(options, ADAPTER_KEYS)

  /** A refused request: onError, else the problem response; any other error goes to Fastify's error handler. */
  async function refuse(error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!isTrustedProxyAuthError(error)) throw error
    if (onError) {
      await onError(error, request, reply)
      return reply
    }
    const problem = toProblemDetails(error, undefined, verifierProblemOptions(verifier))
    // Resolving with the reply, once sent: Fastify sees the request was answered here.
    return reply.code(problem.status).headers(problem.headers).send(JSON.stringify(problem.body))
  }

  function admit(request: FastifyRequest, identity: TrustedProxyIdentity | null, user: TrustedProxyUser | undefined): undefined {
    request.trustedIdentity = identity
    if (identity) request.user = user as TrustedProxyUser
    return undefined
  }

  /** Sets the identity and user: at once without a resolver (undefined), else as a promise. */
  function accept(identity: TrustedProxyIdentity | null, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> | undefined {
    if (identity && resolveUser) {
      return resolveAdapterUser(resolveUser, identity, request).then(
        (user) => admit(request, identity, user as TrustedProxyUser),
        (error: unknown) => refuse(error, request, reply),
      )
    }
    return admit(request, identity, (identity ?? undefined) as TrustedProxyUser | undefined)
  }

  /**
   * The onRequest hook. Not an async function: a request accepted at once (a cache hit) goes on through `done`
   * within this call, with no promise made; what waits is returned as a promise (Fastify then goes on when it
   * settles), and `done` is not called then.
   */
  function authenticate(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction | undefined): Promise<FastifyReply | undefined> | undefined {
    let answer: Promise<FastifyReply | undefined> | undefined
    if (request.routeOptions.config.trustedProxyAuth !== false && !enrollment?.handles(request.url)) {
      rememberProblemOptions(request, verifier)
      // The raw header list, because Node's parsed headers join repeats and keep only one Authorization.
      const verdict = verifyRequestNow(verifier, { headers: request.raw.rawHeaders, remoteAddress: request.ip })
      answer =
        verdict instanceof Promise
          ? verdict.then(
              (identity) => accept(identity as TrustedProxyIdentity | null, request, reply),
              (error: unknown) => refuse(error, request, reply),
            )
          : accept(verdict as TrustedProxyIdentity | null, request, reply)
    }
    if (answer !== undefined || done === undefined) return answer ?? Promise.resolve(undefined)
    done()
    return undefined
  }

  async function install(instance: FastifyInstance, registerOptions: FastifyPluginOptions): Promise<void> {
    const misplaced = Object.keys(registerOptions ?? {}).filter((key) => OPTION_NAMES.has(key))
    if (misplaced.length > 0) {
      throw new TrustedProxyAuthError('invalid_config', {
        problems: misplaced.map((key) => ({ variable: key, message: 'belongs in trustedProxyAuth(options), not in register options' })),
      })
    }
    instance.decorateRequest('user', null)
    instance.decorateRequest('trustedIdentity', null)
    instance.addHook('onRoute', (route) => {
      const requirements = route.config?.trustedProxyRequirements
      if (requirements === undefined) return
      // The guard first: the route's own preHandlers run only for a request that meets the requirements.
      route.preHandler = [requireIdentity(requirements), ...(route.preHandler === undefined ? [] : [route.preHandler].flat())]
    })
    if (options.global !== false) instance.addHook('onRequest', authenticate)
    if (!options.verifier) instance.addHook('onClose', async () => verifier.close())
    if (enrollment) await instance.register(enrollmentRoutes(enrollment))
  }

  // `done` as a rest parameter: the function's length stays 2, which is what Fastify and avvio read a plugin's form from.
  function pluginOrHook(first: FastifyInstance | FastifyRequest, second: FastifyPluginOptions | FastifyReply, ...done: [HookHandlerDoneFunction?]): Promise<unknown> | undefined {
    return isFastifyInstance(first) ? install(first, second as FastifyPluginOptions) : authenticate(first, second as FastifyReply, done[0])
  }

  const plugin = fp(pluginOrHook as (instance: FastifyInstance, options: FastifyPluginOptions) => Promise<void>, { fastify: '5.x', name: PLUGIN_NAME })
  return Object.assign(plugin, { verifier }) as unknown as TrustedProxyAuthPlugin
}

const FORM_TYPE = 'application/x-www-form-urlencoded'

/**
 * The enrollment page's routes in a scope of their own, so the URL-encoded form parser they need (added only
 * when the application has none, e.g. @fastify/formbody) does not change how the application's routes parse.
 */
function enrollmentRoutes(page: EnrollmentPage) {
  return async function enrollmentScope(scope: FastifyInstance): Promise<void> {
    if (!scope.hasContentTypeParser(FORM_TYPE)) {
      scope.addContentTypeParser(FORM_TYPE, { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (_request, body, done) => done(null, parseForm(body as string)))
    }
    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const body = request.body
      const form =
        request.method === 'POST'
          ? body !== null && typeof body === 'object'
            ? (Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([, value]) => typeof value === 'string')) as Record<string, string>)
            : {}
          : null
      const answer = await page.handle({ method: request.method, path: request.url, headers: rawHeaderPairs(request.raw), form, peerAddress: request.ip })
      return reply.code(answer.status).headers(answer.headers).send(answer.body)
    }
    const config = { trustedProxyAuth: false }
    scope.route({ method: ['GET', 'POST'], url: page.mountPath, config, bodyLimit: MAX_FORM_BYTES, handler })
    scope.route({ method: ['GET', 'POST'], url: `${page.mountPath}/*`, config, bodyLimit: MAX_FORM_BYTES, handler })
  }
}

/** The plugin with its options given at registration: `app.register(fastifyTrustedProxyAuth, { mode: 'optional' })`. */
export const fastifyTrustedProxyAuth = fp(
  async (instance: FastifyInstance, options: FastifyTrustedProxyAuthOptions) => {
    await trustedProxyAuth(options)(instance, {})
  },
  { fastify: '5.x', name: PLUGIN_NAME },
)
