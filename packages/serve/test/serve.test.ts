import { connect } from 'node:net'
import { Writable } from 'node:stream'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startEdgeVerifier, type RunningEdgeVerifier } from '../src/index.js'

class LogCapture extends Writable {
  text = ''
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
}

let issuer: RunningTestIssuer
let env: Record<string, string>
const running: RunningEdgeVerifier[] = []
const logs = new LogCapture()

async function start(extra: Record<string, string> = {}): Promise<RunningEdgeVerifier> {
  const edge = await startEdgeVerifier({ env: { ...env, TRUSTED_PROXY_SERVE_PORT: '0', ...extra }, logDestination: logs })
  running.push(edge)
  return edge
}

beforeAll(async () => {
  issuer = await startTestIssuer({ audience: 'app', subject: 'ann' })
  env = envFor(issuer, { TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1' }) as Record<string, string>
})

afterEach(async () => {
  await Promise.all(running.splice(0).map((edge) => edge.close()))
  issuer.reset()
})

afterAll(() => issuer.close())

describe('trusted-proxy-auth serve', () => {
  it('/verify answers 200 with encoded identity headers for any method and under /verify/ (Envoy path_prefix)', async () => {
    const edge = await start()
    await edge.verifier.ready()
    const token = await issuer.sign({ email: 'zoe@example.com', name: 'Zoë Example', groups: ['staff', 'a,b'] })
    for (const [method, path] of [['GET', '/verify'], ['POST', '/verify'], ['HEAD', '/verify'], ['GET', '/verify/original/path?x=1']] as const) {
      const response = await fetch(`${edge.url}${path}`, { method, headers: { 'x-assertion': token } })
      expect(response.status, `${method} ${path}`).toBe(200)
      expect(response.headers.get('x-auth-request-user')).toBe('ann')
      expect(response.headers.get('x-auth-request-email')).toBe('zoe@example.com')
      expect(response.headers.get('x-auth-request-name')).toBe('Zo%C3%AB Example')
      expect(response.headers.get('x-auth-request-groups')).toBe('staff,a%2Cb')
    }
  })

  it('answers a request with a body on its headers and closes the connection instead of draining the body', async () => {
    const edge = await start()
    await edge.verifier.ready()
    const token = await issuer.sign({})
    const { port } = new URL(edge.url)
    // 100 MiB announced, 5 bytes sent: the answer and the close must come without the rest of the body.
    const answer = await new Promise<{ text: string; closed: boolean }>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1')
      let text = ''
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
      socket.on('error', reject)
      socket.on('close', () => resolve({ text, closed: true }))
      socket.write(`POST /verify HTTP/1.1\r\nHost: edge\r\nX-Assertion: ${token}\r\nContent-Length: 104857600\r\n\r\nhello`)
    })
    expect(answer.closed).toBe(true)
    expect(answer.text).toMatch(/^HTTP\/1\.1 200 /)
    expect(answer.text.toLowerCase()).toContain('connection: close')
    expect(answer.text.toLowerCase()).toContain('x-auth-request-user: ann')
    // Without a body the connection stays reusable.
    const plain = await fetch(`${edge.url}/verify`, { headers: { 'x-assertion': token } })
    expect(plain.headers.get('connection')).not.toBe('close')
  })

  it('answers the contract status with problem+json: 401, 403, 503 with Retry-After', async () => {
    const edge = await start({ TRUSTED_PROXY_ALLOWED_USERS: 'bob' })
    const missing = await fetch(`${edge.url}/verify`)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('content-type')).toBe('application/problem+json')
    expect(missing.headers.get('www-authenticate')).toContain('Bearer')
    expect((await missing.json()).code).toBe('missing_assertion')
    await edge.verifier.ready()
    const forbidden = await fetch(`${edge.url}/verify`, { headers: { 'x-assertion': await issuer.sign() } })
    expect(forbidden.status).toBe(403)
    expect((await forbidden.json()).code).toBe('forbidden_user')

    const down = await start({ TRUSTED_PROXY_JWKS_URL: `${issuer.url}/missing-keys.json` })
    const unavailable = await fetch(`${down.url}/verify`, { headers: { 'x-assertion': await issuer.sign() } })
    expect(unavailable.status).toBe(503)
    expect(Number(unavailable.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('puts the detail into problem bodies only with TRUSTED_PROXY_PROBLEM_DETAIL=diagnostic', async () => {
    const token = await issuer.sign({ exp: 1 })
    const generic = await start()
    await generic.verifier.ready()
    const quiet = (await (await fetch(`${generic.url}/verify`, { headers: { 'x-assertion': token } })).json()) as { detail: string }
    expect(quiet.detail).toBe('the identity assertion has expired')
    const diagnostic = await start({ TRUSTED_PROXY_PROBLEM_DETAIL: 'diagnostic' })
    await diagnostic.verifier.ready()
    const told = (await (await fetch(`${diagnostic.url}/verify`, { headers: { 'x-assertion': token } })).json()) as { detail: string }
    expect(told.detail).toMatch(/^the identity assertion has expired: exp 1 is not after now /)
  })

  it('takes the socket peer as the source: a proxy outside TRUSTED_PROXY_TRUSTED_ADDRESSES gets 401 untrusted_source', async () => {
    const edge = await start({ TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.1' })
    const response = await fetch(`${edge.url}/verify`, { headers: { 'x-assertion': await issuer.sign(), 'x-forwarded-for': '10.0.0.1' } })
    expect(response.status).toBe(401)
    expect((await response.json()).code).toBe('untrusted_source')
  })

  it('/healthz is up at once, /readyz only once keys are loaded', async () => {
    issuer.setLatency(400)
    const edge = await start()
    expect((await fetch(`${edge.url}/healthz`)).status).toBe(200)
    const before = await fetch(`${edge.url}/readyz`)
    expect(before.status).toBe(503)
    await edge.verifier.ready()
    const after = await fetch(`${edge.url}/readyz`)
    expect(after.status).toBe(200)
    expect(await after.json()).toMatchObject({ status: 'ready', keyCount: 1 })
    expect((await fetch(`${edge.url}/elsewhere`)).status).toBe(404)
  })

  it('/metrics counts verifications by outcome and key fetches by result, with key-set age and latency', async () => {
    const edge = await start()
    await edge.verifier.ready()
    const token = await issuer.sign()
    for (let i = 0; i < 3; i++) await fetch(`${edge.url}/verify`, { headers: { 'x-assertion': token } })
    await fetch(`${edge.url}/verify`)
    const response = await fetch(`${edge.url}/metrics`)
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    expect(text).toContain('trusted_proxy_auth_verifications_total{outcome="ok"} 3')
    expect(text).toContain('trusted_proxy_auth_verifications_total{outcome="missing_assertion"} 1')
    expect(text).toContain('trusted_proxy_auth_key_fetches_total{result="ok"} 1')
    expect(text).toMatch(/trusted_proxy_auth_key_set_age_seconds \d/)
    expect(text).toContain('trusted_proxy_auth_verify_duration_seconds_count{outcome="ok"} 3')
    // The cache (TRUSTED_PROXY_CACHE_SIZE) took the assertion in at its second success: the third was a hit.
    expect(text).toContain('trusted_proxy_auth_verified_cache_lookups_total{result="hit"} 1')
    expect(text).toContain('trusted_proxy_auth_verified_cache_lookups_total{result="miss"} 2')
    expect(text).toContain('trusted_proxy_auth_verified_cache_entries 1')
    expect(text).toContain('process_cpu_seconds_total')
  })

  it('logs JSON lines, never an assertion', async () => {
    const edge = await start()
    await edge.verifier.ready()
    const token = await issuer.sign()
    await fetch(`${edge.url}/verify`, { headers: { 'x-assertion': token } })
    await fetch(`${edge.url}/verify`, { headers: { 'x-assertion': `${token}x` } })
    await edge.close()
    const lines = logs.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines.some((line) => line['msg'] === 'listening')).toBe(true)
    expect(lines.some((line) => line['msg'] === 'verification refused' && typeof line['code'] === 'string' && line['status'] === 401)).toBe(true)
    expect(logs.text).not.toContain(token.split('.')[1])
    expect(logs.text).not.toContain(token.split('.')[2])
  })

  it('refuses an invalid configuration, naming every problem', async () => {
    await expect(startEdgeVerifier({ env: { ...env, TRUSTED_PROXY_SERVE_USER_HEADER: 'bad header' }, logDestination: logs })).rejects.toMatchObject({
      code: 'invalid_config',
      problems: [{ variable: 'TRUSTED_PROXY_SERVE_USER_HEADER', message: 'must be a valid HTTP header name' }],
    })
  })
})
