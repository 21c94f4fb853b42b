import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { ErrorCode } from '@mieweb/trusted-proxy-auth'
import type { ConformanceApp, ConformanceAppOptions } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { getIdentity, getUser, requireIdentity, trustedProxyAuth, TrustedProxyAuthError, type FastifyTrustedProxyAuthOptions, type RouteRequirements } from '../src/index.js'

/**
 * The conformance app: the plugin protects every route; /health opts out through its route config. Guarded routes
 * use the route option `trustedProxyRequirements`, bare ones the `preHandler` form, so the suite covers both.
 */
export async function buildApp(auth: FastifyTrustedProxyAuthOptions, guards: ConformanceAppOptions['guards'] = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(trustedProxyAuth(auth))
  app.get('/health', { config: { trustedProxyAuth: false } }, async () => ({ ok: true }))
  const whoami = async (request: FastifyRequest): Promise<unknown> => ({ user: request.user, identity: request.trustedIdentity })
  app.get('/whoami', whoami)
  const accessor = async (request: FastifyRequest): Promise<unknown> => ({ subject: getIdentity(request).subject, user: getUser(request) })
  app.get('/accessor', accessor)
  app.get('/bare-accessor', { config: { trustedProxyAuth: false } }, accessor)
  for (const [name, requirements] of Object.entries(guards)) {
    const typed = requirements as RouteRequirements<FastifyRequest>
    app.get(`/guarded/${name}`, { config: { trustedProxyRequirements: typed } }, whoami)
    app.get(`/bare/${name}`, { config: { trustedProxyAuth: false }, preHandler: requireIdentity(typed) }, whoami)
  }
  return app
}

export async function listen(app: FastifyInstance, host: string): Promise<ConformanceApp> {
  await app.listen({ port: 0, host })
  const { port } = app.server.address() as { port: number }
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      app.server.closeAllConnections()
      await app.close()
    },
  }
}

export async function createApp({ auth, host, guards }: ConformanceAppOptions): Promise<ConformanceApp> {
  return listen(await buildApp(auth as FastifyTrustedProxyAuthOptions, guards), host)
}

/** For the conformance suite's custom checks that deny with their own contract code. */
export const createAuthError = (code: string): Error => new TrustedProxyAuthError(code as ErrorCode)
