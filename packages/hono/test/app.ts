import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import type { ErrorCode } from '@mieweb/trusted-proxy-auth'
import type { ConformanceApp, ConformanceAppOptions } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { getIdentity, getUser, requireIdentity, trustedProxyAuth, TrustedProxyAuthError, type HonoTrustedProxyAuthOptions, type RouteRequirements, type TrustedProxyAuthVariables } from '../src/index.js'

/** How the checked routes take the check: the middleware before the handler, or `protect(handler)` as the route's only handler. */
export type CheckForm = 'middleware' | 'protect'

/**
 * The conformance app: the check on /whoami and /accessor only (Hono's per-route opt-in), /health without it.
 * The guarded routes take the guard the same way: `auth, requireIdentity(requirements), handler`, or
 * `auth.protect(handler, requirements)`.
 */
export function buildApp(auth: HonoTrustedProxyAuthOptions, guards: ConformanceAppOptions['guards'] = {}, form: CheckForm = 'middleware'): { app: Hono<{ Variables: TrustedProxyAuthVariables }>; close(): void } {
  const app = new Hono<{ Variables: TrustedProxyAuthVariables }>()
  const middleware = trustedProxyAuth(auth)
  app.get('/health', (c) => c.json({ ok: true }))
  const accessor = (c: Context): Response => c.json({ subject: getIdentity(c).subject, user: getUser(c) })
  if (form === 'protect') {
    app.get('/whoami', middleware.protect((c) => c.json({ user: c.var.user, identity: c.var.trustedIdentity })))
    app.get('/accessor', middleware.protect(accessor))
  } else {
    app.get('/whoami', middleware, (c) => c.json({ user: c.var.user, identity: c.var.trustedIdentity }))
    app.get('/accessor', middleware, accessor)
  }
  app.get('/bare-accessor', accessor)
  for (const [name, requirements] of Object.entries(guards)) {
    const guard = requireIdentity(requirements as RouteRequirements<Context>)
    const whoami = (c: Context<{ Variables: TrustedProxyAuthVariables }>): Response => c.json({ user: c.var.user, identity: c.var.trustedIdentity })
    if (form === 'protect') app.get(`/guarded/${name}`, middleware.protect(whoami, requirements as RouteRequirements<Context>))
    else app.get(`/guarded/${name}`, middleware, guard, whoami)
    app.get(`/bare/${name}`, guard, (c) => c.json({ user: c.var.user ?? null, identity: c.var.trustedIdentity ?? null }))
  }
  return { app, close: () => middleware.verifier?.close() }
}

/** Through @hono/node-server on a real socket. */
export async function createNodeServerApp({ auth, host, guards }: ConformanceAppOptions, form: CheckForm = 'middleware'): Promise<ConformanceApp> {
  const { app, close } = buildApp(auth as HonoTrustedProxyAuthOptions, guards, form)
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
export async function createInProcessApp({ auth, guards }: ConformanceAppOptions, form: CheckForm = 'middleware'): Promise<ConformanceApp> {
  const { app, close } = buildApp(auth as HonoTrustedProxyAuthOptions, guards, form)
  return {
    url: 'http://app.test',
    fetch: async (url, init) => app.request(url, init),
    close: async () => close(),
  }
}

/** For the conformance suite's custom checks that deny with their own contract code. */
export const createAuthError = (code: string): Error => new TrustedProxyAuthError(code as ErrorCode)
