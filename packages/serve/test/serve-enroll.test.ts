import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { enrollThroughPage, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startEdgeVerifier } from '../src/index.js'

class LogCapture extends Writable {
  text = ''
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
}

let issuer: RunningTestIssuer
let directory: string

beforeAll(async () => {
  issuer = await startTestIssuer({ audience: 'app', subject: 'ann' })
  directory = mkdtempSync(join(tmpdir(), 'tpa-serve-enroll-'))
})
afterAll(async () => {
  await issuer.close()
  rmSync(directory, { recursive: true, force: true })
})

it('serve --enroll: /verify answers 503 not_enrolled, the page enrolls, then /verify answers 200 with the identity headers (no restart)', async () => {
  const logs = new LogCapture()
  const edge = await startEdgeVerifier({
    env: { TRUSTED_PROXY_SERVE_PORT: '0', TRUSTED_PROXY_ASSERTION_HEADER: 'X-Test-Assertion', TRUSTED_PROXY_ENROLLMENT_FILE: join(directory, 'enrollment.json') },
    logDestination: logs,
    enroll: true,
  })
  try {
    const verify = async (): Promise<Response> => fetch(`${edge.url}/verify`, { headers: { 'x-test-assertion': await issuer.sign() } })
    const before = await verify()
    expect(before.status).toBe(503)
    expect(((await before.json()) as { code: string }).code).toBe('not_enrolled')
    expect((await fetch(`${edge.url}/readyz`)).status).toBe(503)
    const code = () => /enrollment code ([A-Z0-9]{12})/.exec(logs.text)?.[1] ?? null
    expect(code()).not.toBeNull()
    const flow = await enrollThroughPage({
      baseUrl: edge.url,
      sign: () => issuer.sign(),
      code,
      settings: { TRUSTED_PROXY_ISSUER: issuer.issuer, TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl },
    })
    expect(flow).toMatchObject({ page: 200, withoutCsrf: 403, check: 200, trust: 200 })
    const after = await verify()
    expect(after.status).toBe(200)
    expect(after.headers.get('x-auth-request-user')).toBe('ann')
    // The log carries the code and the enrollment, never an assertion.
    expect(logs.text).toContain('enrolled through /.well-known/trusted-proxy-auth/enroll by ann')
    expect(logs.text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/)
  } finally {
    await edge.close()
  }
})
