import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import type { EnrollmentSettings, EnvInput, Logger, TrustedProxyAuthEvent } from '@mieweb/trusted-proxy-auth'
import { trustedProxyAuth } from '@mieweb/trusted-proxy-auth-express'

export interface RunningApp {
  readonly url: string
  close(): Promise<void>
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)

/**
 * The application being protected: ordinary Express code. The only line about authentication is the
 * `app.use(trustedProxyAuth(...))`; everything after it can rely on `req.user`.
 */
export async function startProtectedApp(
  env: EnvInput,
  onEvent: (event: TrustedProxyAuthEvent) => void,
  options: { enrollment?: boolean | EnrollmentSettings; logger?: Logger } = {},
): Promise<RunningApp> {
  const app = express()
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true })
  })
  const auth = trustedProxyAuth({ env, onEvent, ...options })
  app.use(auth)
  app.get('/api/me', (req, res) => {
    res.json(req.user)
  })
  app.get('/', (req, res) => {
    const user = req.user
    res.type('html').send(
      `<!doctype html><title>trusted-proxy-auth demo</title><h1>Hello, ${escapeHtml(user?.name ?? user?.subject ?? 'stranger')}</h1>` +
        `<p>The proxy vouched for you with a signed assertion; the app verified it.</p><pre>${escapeHtml(JSON.stringify(user, null, 2))}</pre>`,
    )
  })
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        auth.verifier.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
