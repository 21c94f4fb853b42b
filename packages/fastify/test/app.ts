import Fastify, { type FastifyInstance } from 'fastify'
import type { ConformanceApp, ConformanceAppOptions } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { trustedProxyAuth, type FastifyTrustedProxyAuthOptions } from '../src/index.js'

/** The conformance app: the plugin protects every route; /health opts out through its route config. */
export async function buildApp(auth: FastifyTrustedProxyAuthOptions): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(trustedProxyAuth(auth))
  app.get('/health', { config: { trustedProxyAuth: false } }, async () => ({ ok: true }))
  app.get('/whoami', async (request) => ({ user: request.user, identity: request.trustedIdentity }))
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

export async function createApp({ auth, host }: ConformanceAppOptions): Promise<ConformanceApp> {
  return listen(await buildApp(auth as FastifyTrustedProxyAuthOptions), host)
}
