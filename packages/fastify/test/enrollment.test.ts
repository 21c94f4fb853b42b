import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enrollThroughPage, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import Fastify from 'fastify'
import { trustedProxyAuth } from '../src/index.js'
import { listen } from './app.js'

/**
 * The `enrollment` option: the page is routed by the Fastify adapter, its URL-encoded forms are parsed (by a URL-encoded parser in the page’s own scope),
 * protected routes answer 503 not_enrolled until "Trust this proxy", then verify without a restart.
 */
let issuer: RunningTestIssuer
let directory: string

beforeAll(async () => {
  issuer = await startTestIssuer()
  directory = mkdtempSync(join(tmpdir(), 'tpa-fastify-enroll-'))
})
afterAll(async () => {
  await issuer.close()
  rmSync(directory, { recursive: true, force: true })
})

it('mounts the enrollment page; protected routes switch from not_enrolled to verifying without a restart', async () => {
  let code: string | null = null
  const record = (line: string): void => {
    code = /enrollment code ([A-Z0-9]{12})/.exec(line)?.[1] ?? code
  }
  const logger = { debug: () => undefined, info: record, warn: record, error: record }
  const env = { TRUSTED_PROXY_ENROLLMENT_FILE: join(directory, 'enrollment.json'), TRUSTED_PROXY_ASSERTION_HEADER: 'X-Test-Assertion' }
  const server = Fastify()
  await server.register(trustedProxyAuth({ env, logger, enrollment: true }))
  server.get('/me', async (request) => request.trustedIdentity)
  const app = await listen(server, '127.0.0.1')
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
