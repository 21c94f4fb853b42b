import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import Koa, { type Context } from 'koa'
import type { ErrorCode } from '@mieweb/trusted-proxy-auth'
import type { ConformanceApp, ConformanceAppOptions } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { getIdentity, getUser, requireIdentity, trustedProxyAuth, TrustedProxyAuthError, type KoaTrustedProxyAuthOptions, type RouteRequirements, type TrustedProxyAuthState } from '../src/index.js'

/** A Koa major's application class: `koa` (3) or the `koa2` alias (npm:koa@^2). */
export type KoaClass = new () => Koa<TrustedProxyAuthState>

/** The conformance app: /health on a public router, /whoami on a router that uses the middleware (Koa's own opt-out). */
export function buildApp(auth: KoaTrustedProxyAuthOptions, KoaApp: KoaClass = Koa<TrustedProxyAuthState>, guards: ConformanceAppOptions['guards'] = {}): { app: Koa<TrustedProxyAuthState>; close(): void } {
  const app = new KoaApp()
  const middleware = trustedProxyAuth(auth)
  const publicRoutes = new Router()
  publicRoutes.get('/health', (ctx) => {
    ctx.body = { ok: true }
  })
  const whoami = (ctx: Context): void => {
    const state = ctx.state as TrustedProxyAuthState
    ctx.body = { user: state.user ?? null, identity: state.trustedIdentity ?? null }
  }
  const accessor = (ctx: Context): void => {
    ctx.body = { subject: getIdentity(ctx).subject, user: getUser(ctx) }
  }
  publicRoutes.get('/bare-accessor', accessor)
  for (const [name, requirements] of Object.entries(guards)) publicRoutes.get(`/bare/${name}`, requireIdentity(requirements as RouteRequirements<Context>), whoami)
  const protectedRoutes = new Router<TrustedProxyAuthState>()
  protectedRoutes.use(middleware)
  protectedRoutes.get('/whoami', whoami)
  protectedRoutes.get('/accessor', accessor)
  for (const [name, requirements] of Object.entries(guards)) protectedRoutes.get(`/guarded/${name}`, requireIdentity(requirements as RouteRequirements<Context>), whoami)
  app.use(publicRoutes.routes()).use(protectedRoutes.routes())
  return { app, close: () => middleware.verifier.close() }
}

export async function listen(app: Koa<TrustedProxyAuthState>, host: string, onClose: () => void = () => undefined): Promise<ConformanceApp> {
  const server = app.listen(0, host)
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        onClose()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export async function createApp({ auth, host, guards }: ConformanceAppOptions, KoaApp?: KoaClass): Promise<ConformanceApp> {
  const { app, close } = buildApp(auth as KoaTrustedProxyAuthOptions, KoaApp, guards)
  return listen(app, host, close)
}

/** For the conformance suite's custom checks that deny with their own contract code. */
export const createAuthError = (code: string): Error => new TrustedProxyAuthError(code as ErrorCode)
