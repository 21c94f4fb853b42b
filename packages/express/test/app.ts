import type { AddressInfo } from 'node:net'
import express, { type Express } from 'express'
import type { ErrorCode } from '@mieweb/trusted-proxy-auth'
import type { ConformanceApp, ConformanceAppOptions } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { getIdentity, getUser, requireIdentity, trustedProxyAuth, TrustedProxyAuthError, type ExpressTrustedProxyAuthOptions, type RouteRequirements } from '../src/index.js'

/** An Express major's default export: `express` (5) or the `express4` alias (npm:express@^4). */
export type ExpressFactory = () => Express

/** The conformance app: /health mounted before the middleware (Express's own opt-out), /whoami after it. */
export function buildApp(auth: ExpressTrustedProxyAuthOptions, createExpress: ExpressFactory = express, guards: ConformanceAppOptions['guards'] = {}): { app: Express; close(): void } {
  const app = createExpress()
  app.get('/health', (_req, res) => {
    res.json({ ok: true })
  })
  const whoami = (req: express.Request, res: express.Response): void => {
    res.json({ user: req.user ?? null, identity: req.trustedIdentity ?? null })
  }
  const accessor = (req: express.Request, res: express.Response): void => {
    res.json({ subject: getIdentity(req).subject, user: getUser(req) })
  }
  app.get('/bare-accessor', accessor)
  for (const [name, requirements] of Object.entries(guards)) app.get(`/bare/${name}`, requireIdentity(requirements as RouteRequirements<express.Request>), whoami)
  const middleware = trustedProxyAuth(auth)
  app.use(middleware)
  app.get('/whoami', whoami)
  app.get('/accessor', accessor)
  for (const [name, requirements] of Object.entries(guards)) app.get(`/guarded/${name}`, requireIdentity(requirements as RouteRequirements<express.Request>), whoami)
  return { app, close: () => middleware.verifier.close() }
}

export async function listen(app: Express, host: string, onClose: () => void = () => undefined): Promise<ConformanceApp> {
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

export async function createApp({ auth, host, guards }: ConformanceAppOptions, createExpress: ExpressFactory = express): Promise<ConformanceApp> {
  const { app, close } = buildApp(auth as ExpressTrustedProxyAuthOptions, createExpress, guards)
  return listen(app, host, close)
}

/** For the conformance suite's custom checks that deny with their own contract code. */
export const createAuthError = (code: string): Error => new TrustedProxyAuthError(code as ErrorCode)
