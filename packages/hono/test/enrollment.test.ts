import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enrollThroughPage, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { serve, type ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import { trustedProxyAuth, type TrustedProxyAuthVariables } from '../src/index.js'

/**
 * The `enrollment` option: the page is routed by the Hono adapter, its URL-encoded forms are parsed (from the request text),
 * protected routes answer 503 not_enrolled until "Trust this proxy", then verify without a restart.
 */
let issuer: RunningTestIssuer
let directory: string

beforeAll(async () => {
  issuer = await startTestIssuer()
  directory = mkdtempSync(join(tmpdir(), 'tpa-hono-enroll-'))
})
afterAll(async () => {
  await issuer.close()
  rmSync(directory, { recursive: true, force: true })
})

// 'protect': the route takes auth.protect(handler), and the middleware is mounted on the page's path alone (README).
it.each(['middleware', 'protect'] as const)('mounts the enrollment page; protected routes switch from not_enrolled to verifying without a restart (%s)', async (form) => {
  let code: string | null = null
  const record = (line: string): void => {
    code = /enrollment code ([A-Z0-9]{12})/.exec(line)?.[1] ?? code
  }
  const logger = { debug: () => undefined, info: record, warn: record, error: record }
  const env = { TRUSTED_PROXY_ENROLLMENT_FILE: join(directory, `enrollment-${form}.json`), TRUSTED_PROXY_ASSERTION_HEADER: 'X-Test-Assertion' }
  const server = new Hono<{ Variables: TrustedProxyAuthVariables }>()
  const auth = trustedProxyAuth({ env, logger, enrollment: true })
  if (form === 'middleware') {
    server.use(auth)
    server.get('/me', (c) => c.json(c.var.trustedIdentity))
  } else {
    server.all('/.well-known/trusted-proxy-auth/enroll/*', auth)
    server.get('/me', auth.protect((c) => c.json(c.var.trustedIdentity)))
  }
  const listening = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: server.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started))
  })
  const app = {
    url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        auth.verifier?.close()
        if ('closeAllConnections' in listening) listening.closeAllConnections()
        listening.close(() => resolve())
      }),
  }
  try {
    const me = async (): Promise<Response> => fetch(`${app.url}/me`, { headers: { 'X-Test-Assertion': await issuer.sign() } })
    const before = await me()
    expect(before.status).toBe(503)
    expect(((await before.json()) as { code: string }).code).toBe('not_enrolled')
    expect(code).toMatch(/^[A-Z0-9]{12}$/)
    const flow = await enrollThroughPage({
      baseUrl: app.url,
      sign: () => issuer.sign(),
      code: () => code,
      settings: { TRUSTED_PROXY_ISSUER: issuer.issuer, TRUSTED_PROXY_AUDIENCE: String(issuer.audience), TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl },
    })
    expect(flow).toMatchObject({ page: 200, withoutCsrf: 403, check: 200, trust: 200 })
    expect(flow.pageContentSecurityPolicy).toContain("default-src 'none'")
    expect(flow.trustBody).toContain('Enrollment status')
    const after = await me()
    expect(after.status).toBe(200)
    expect(((await after.json()) as { subject: string }).subject).toBe(issuer.subject)
  } finally {
    await app.close()
  }
})
