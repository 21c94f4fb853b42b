import type { FastifyInstance, FastifyPluginOptions, FastifyReply, FastifyRequest } from 'fastify'
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
  (request: FastifyRequest, reply: FastifyReply): Promise<unknown>
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

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (request.routeOptions.config.trustedProxyAuth === false) return
    if (enrollment?.handles(request.url)) return
    rememberProblemOptions(request, verifier)
    let identity: TrustedProxyIdentity | null
    let user: TrustedProxyUser | undefined
    try {
      // Raw header pairs, because Node's parsed headers join repeats and keep only one Authorization.
      identity = (await verifier.verifyRequest({ headers: rawHeaderPairs(request.raw), remoteAddress: request.ip })) as TrustedProxyIdentity | null
      // Without a resolver the user is the identity itself: no promise to wait for on every request.
      if (identity) user = (resolveUser ? await resolveAdapterUser(resolveUser, identity, request) : identity) as TrustedProxyUser
    } catch (error) {
      if (!isTrustedProxyAuthError(error)) throw error
      if (onError) {
        await onError(error, request, reply)
        return reply
      }
      const problem = toProblemDetails(error, undefined, verifierProblemOptions(verifier))
      // Returning the reply tells Fastify the request was answered here.
      return reply.code(problem.status).headers(problem.headers).send(JSON.stringify(problem.body))
    }
    request.trustedIdentity = identity
    if (identity) request.user = user as TrustedProxyUser
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

  function pluginOrHook(first: FastifyInstance | FastifyRequest, second: FastifyPluginOptions | FastifyReply): Promise<unknown> {
    return isFastifyInstance(first) ? install(first, second as FastifyPluginOptions) : authenticate(first, second as FastifyReply)
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
