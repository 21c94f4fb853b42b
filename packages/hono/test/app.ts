import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import type { ConformanceApp, ConformanceAppOptions } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { trustedProxyAuth, type HonoTrustedProxyAuthOptions, type TrustedProxyAuthVariables } from '../src/index.js'

/** The conformance app: the middleware on /whoami only (Hono's per-route opt-in), /health without it. */
export function buildApp(auth: HonoTrustedProxyAuthOptions): { app: Hono<{ Variables: TrustedProxyAuthVariables }>; close(): void } {
  const app = new Hono<{ Variables: TrustedProxyAuthVariables }>()
  const middleware = trustedProxyAuth(auth)
  app.get('/health', (c) => c.json({ ok: true }))
  app.get('/whoami', middleware, (c) => c.json({ user: c.var.user, identity: c.var.trustedIdentity }))
  return { app, close: () => middleware.verifier?.close() }
}

/** Through @hono/node-server on a real socket. */
export async function createNodeServerApp({ auth, host }: ConformanceAppOptions): Promise<ConformanceApp> {
  const { app, close } = buildApp(auth as HonoTrustedProxyAuthOptions)
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: host }, () => resolve(started))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        close()
        if ('closeAllConnections' in server) server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Through `app.request`, with no socket at all (how Hono runs on fetch runtimes). */
export async function createInProcessApp({ auth }: ConformanceAppOptions): Promise<ConformanceApp> {
  const { app, close } = buildApp(auth as HonoTrustedProxyAuthOptions)
  return {
    url: 'http://app.test',
    fetch: async (url, init) => app.request(url, init),
    close: async () => close(),
  }
}
