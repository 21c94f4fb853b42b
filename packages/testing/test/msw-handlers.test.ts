import { createRemoteJWKSet, jwtVerify } from 'jose'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTestIssuer, type TestIssuer } from '../src/index.js'
import { jwksHandlers, type JwksMock } from '../src/msw.js'

const server = setupServer()
let issuer: TestIssuer

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' })
  issuer = await createTestIssuer()
})
afterEach(() => {
  server.resetHandlers()
  vi.useRealTimers()
})
afterAll(() => server.close())

function mock(options: Parameters<typeof jwksHandlers>[1] = {}): JwksMock {
  const created = jwksHandlers(issuer, options)
  server.use(...created.handlers)
  return created
}

const fetchJwks = (url = issuer.jwksUrl, init?: RequestInit) => fetch(url, init)

describe('jwksHandlers', () => {
  it("publishes the issuer's key set at its JWKS URL and counts requests", async () => {
    const jwks = mock()
    expect(jwks.url).toBe(issuer.jwksUrl)
    const response = await fetchJwks(issuer.jwksUrl, { headers: { 'x-probe': '1' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('cache-control')).toBeNull()
    expect(await response.json()).toEqual(issuer.jwks())
    await fetchJwks()
    expect(jwks.requests.count).toBe(2)
    expect(jwks.requests.log[0]).toMatchObject({ method: 'GET', url: issuer.jwksUrl, outcome: 'ok', headers: { 'x-probe': '1' } })
  })

  it('shows rotation and revocation on the next request', async () => {
    const rotating = await createTestIssuer()
    const jwks = jwksHandlers(rotating)
    server.use(...jwks.handlers)
    const kids = async () => ((await (await fetch(rotating.jwksUrl)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid)
    const first = rotating.currentKid
    expect(await kids()).toEqual([first])
    const second = await rotating.rotate()
    expect(await kids()).toEqual([first, second])
    rotating.revoke(first)
    expect(await kids()).toEqual([second])
  })

  it('plays the failure sequence in order, then answers ok', async () => {
    const jwks = mock({ failures: ['500', 'html', 'invalid-json', '503', '404'] })
    const first = await fetchJwks()
    expect(first.status).toBe(500)
    const html = await fetchJwks()
    expect(html.status).toBe(200)
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await html.text()).toMatch(/^<!doctype html>/)
    const invalid = await fetchJwks()
    expect(invalid.headers.get('content-type')).toBe('application/json')
    await expect(invalid.json()).rejects.toThrow(SyntaxError)
    expect((await fetchJwks()).status).toBe(503)
    expect((await fetchJwks()).status).toBe(404)
    expect((await fetchJwks()).status).toBe(200)
    expect((await fetchJwks()).status).toBe(200)
    expect(jwks.requests.log.map((record) => record.outcome)).toEqual(['500', 'html', 'invalid-json', '503', '404', 'ok', 'ok'])
  })

  it('replaces the queue with setFailures and starts over with reset', async () => {
    const jwks = mock({ failures: ['500'], cacheControl: 'max-age=60' })
    jwks.setFailures(['503', 'ok', '500'])
    jwks.setCacheControl('no-store')
    expect((await fetchJwks()).status).toBe(503)
    const ok = await fetchJwks()
    expect(ok.headers.get('cache-control')).toBe('no-store')
    expect((await fetchJwks()).status).toBe(500)
    expect(jwks.requests.count).toBe(3)
    jwks.reset()
    expect(jwks.requests.count).toBe(0)
    expect(jwks.requests.log).toEqual([])
    expect((await fetchJwks()).status).toBe(500)
    const afterReset = await fetchJwks()
    expect(afterReset.headers.get('cache-control')).toBe('max-age=60')
    expect(() => jwks.setFailures(['teapot' as never])).toThrow(/unknown JWKS response kind "teapot"/)
  })

  it('sends the configured Cache-Control and content type, and transforms the body', async () => {
    mock({ cacheControl: 'public, max-age=300', contentType: 'application/jwk-set+json', transformJwks: (jwks) => ({ keys: [...jwks.keys, { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }] }) })
    const response = await fetchJwks()
    expect(response.headers.get('cache-control')).toBe('public, max-age=300')
    expect(response.headers.get('content-type')).toBe('application/jwk-set+json')
    const body = (await response.json()) as { keys: { kid: string }[] }
    expect(body.keys.map((key) => key.kid)).toEqual([issuer.currentKid, 'hmac'])
  })

  it('answers after the configured latency, which fake timers control', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const jwks = mock({ latencyMs: 2_000 })
    let settled = false
    const pending = fetchJwks().then((response) => {
      settled = true
      return response
    })
    await vi.advanceTimersByTimeAsync(1_999)
    expect(settled).toBe(false)
    expect(jwks.requests.count).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect((await pending).status).toBe(200)
    jwks.setLatency(0)
    expect((await fetchJwks()).status).toBe(200)
  })

  it('holds a timeout response open until the client aborts', async () => {
    const jwks = mock({ failures: ['timeout'] })
    const started = Date.now()
    await expect(fetchJwks(issuer.jwksUrl, { signal: AbortSignal.timeout(150) })).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(100)
    expect(jwks.requests.log.map((record) => record.outcome)).toEqual(['timeout'])
    expect((await fetchJwks()).status).toBe(200)
  })

  it('ends a hung response on reset', async () => {
    const jwks = mock({ failures: ['timeout'] })
    const hung = fetchJwks()
    await vi.waitFor(() => expect(jwks.requests.count).toBe(1))
    jwks.reset()
    await expect(hung).rejects.toThrow(TypeError)
  })

  it('answers redirect with a 302 a verifier must refuse to follow', async () => {
    const jwks = mock({ failures: ['redirect'] })
    await expect(fetchJwks(issuer.jwksUrl, { redirect: 'error' })).rejects.toThrow()
    expect(jwks.requests.log[0]?.outcome).toBe('redirect')
  })

  it('serves OpenID discovery when asked and counts it apart', async () => {
    const jwks = mock({ discovery: true })
    expect(jwks.discoveryUrl).toBe(issuer.discoveryUrl)
    const document = (await (await fetch(issuer.discoveryUrl)).json()) as Record<string, unknown>
    expect(document).toMatchObject({ issuer: issuer.issuer, jwks_uri: issuer.jwksUrl })
    expect(jwks.requests.discoveryCount).toBe(1)
    expect(jwks.requests.count).toBe(0)
    const custom = jwksHandlers(issuer, { url: 'https://keys.test/k.json', discovery: 'https://keys.test/oidc' })
    server.use(...custom.handlers)
    expect(await (await fetch('https://keys.test/oidc')).json()).toMatchObject({ jwks_uri: 'https://keys.test/k.json' })
  })

  it('works with a real JWKS client (jose createRemoteJWKSet) through a failure', async () => {
    const jwks = mock({ failures: ['500'] })
    const token = await issuer.sign()
    const keySet = createRemoteJWKSet(new URL(issuer.jwksUrl), { cooldownDuration: 0 })
    await expect(jwtVerify(token, keySet)).rejects.toThrow()
    await expect(jwtVerify(token, keySet, { issuer: issuer.issuer, audience: issuer.audience as string })).resolves.toMatchObject({ payload: { sub: issuer.subject } })
    expect(jwks.requests.count).toBe(2)
  })

  it('rejects a negative latency', () => {
    expect(() => jwksHandlers(issuer, { latencyMs: -1 })).toThrow(/latencyMs/)
  })
})
