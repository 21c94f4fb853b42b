import { createRemoteJWKSet, jwtVerify } from 'jose'
import { request as httpRequest } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestIssuer, type RunningTestIssuer } from '../src/index.js'

const running: RunningTestIssuer[] = []

async function start(options: Parameters<typeof startTestIssuer>[0] = {}): Promise<RunningTestIssuer> {
  const idp = await startTestIssuer(options)
  running.push(idp)
  return idp
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((idp) => idp.close()))
})

describe('startTestIssuer', () => {
  it('serves the key set and OpenID discovery over loopback HTTP', async () => {
    const idp = await start({ algorithms: ['RS256', 'ES256'] })
    expect(idp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(idp.jwksUrl).toBe(`${idp.url}/.well-known/jwks.json`)
    expect(idp.discoveryUrl).toBe(`${idp.url}/.well-known/openid-configuration`)
    expect(idp.issuer).toBe(idp.url)

    const jwksResponse = await fetch(idp.jwksUrl)
    expect(jwksResponse.status).toBe(200)
    expect(await jwksResponse.json()).toEqual(idp.jwks())
    const discovery = (await (await fetch(idp.discoveryUrl)).json()) as Record<string, unknown>
    expect(discovery).toMatchObject({ issuer: idp.url, jwks_uri: idp.jwksUrl, id_token_signing_alg_values_supported: ['RS256', 'ES256'] })
    expect(idp.openIdConfiguration()).toEqual(discovery)
    expect(idp.requests.count).toBe(1)
    expect(idp.requests.discoveryCount).toBe(1)
    expect(idp.requests.log[0]).toMatchObject({ method: 'GET', url: idp.jwksUrl, outcome: 'ok' })
  })

  it('keeps a configured issuer while serving from its own address', async () => {
    const idp = await start({ issuer: 'https://proxy.example', audience: 'app' })
    expect(idp.issuer).toBe('https://proxy.example')
    expect(idp.jwksUrl.startsWith('http://127.0.0.1:')).toBe(true)
    expect(await (await fetch(idp.discoveryUrl)).json()).toMatchObject({ issuer: 'https://proxy.example', jwks_uri: idp.jwksUrl })
  })

  it('verifies tokens across a rotation with a real JWKS client', async () => {
    const idp = await start({ cacheControl: 'max-age=600' })
    const keySet = createRemoteJWKSet(new URL(idp.jwksUrl), { cooldownDuration: 0 })
    const verify = (token: string) => jwtVerify(token, keySet, { issuer: idp.issuer, audience: idp.audience as string })
    await expect(verify(await idp.sign())).resolves.toBeDefined()
    const newKid = await idp.rotate()
    const { protectedHeader } = await verify(await idp.sign())
    expect(protectedHeader.kid).toBe(newKid)
    expect(idp.requests.count).toBe(2)
    expect(idp.requests.log.every((record) => record.outcome === 'ok')).toBe(true)
  })

  it('plays failure sequences, Cache-Control and latency over the wire', async () => {
    const idp = await start({ failures: ['503', 'html', 'invalid-json', 'redirect'], cacheControl: 'max-age=60' })
    expect((await fetch(idp.jwksUrl)).status).toBe(503)
    expect((await fetch(idp.jwksUrl)).headers.get('content-type')).toMatch(/^text\/html/)
    await expect((await fetch(idp.jwksUrl)).json()).rejects.toThrow(SyntaxError)
    const redirect = await fetch(idp.jwksUrl, { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe(`${idp.jwksUrl}?redirected=1`)
    const ok = await fetch(idp.jwksUrl)
    expect(ok.headers.get('cache-control')).toBe('max-age=60')
    expect(idp.requests.log.map((record) => record.outcome)).toEqual(['503', 'html', 'invalid-json', 'redirect', 'ok'])

    idp.setLatency(120)
    const started = Date.now()
    expect((await fetch(idp.jwksUrl)).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(100)
  })

  it('holds a timeout response open until the client aborts, then serves again', async () => {
    const idp = await start({ failures: ['timeout'] })
    const started = Date.now()
    await expect(fetch(idp.jwksUrl, { signal: AbortSignal.timeout(150) })).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(100)
    expect((await fetch(idp.jwksUrl)).status).toBe(200)
    expect(idp.requests.count).toBe(2)
  })

  it('ends hung responses on reset and on close', async () => {
    const idp = await start({ failures: ['timeout', 'timeout'] })
    const first = fetch(idp.jwksUrl)
    await expect.poll(() => idp.requests.count).toBe(1)
    idp.reset()
    await expect(first).rejects.toThrow(TypeError)
    idp.setFailures(['timeout'])
    const second = fetch(idp.jwksUrl)
    await expect.poll(() => idp.requests.count).toBe(1)
    await idp.close()
    await expect(second).rejects.toThrow(TypeError)
    await expect(idp.close()).resolves.toBeUndefined()
    await expect(fetch(idp.jwksUrl)).rejects.toThrow(TypeError)
  })

  it('answers 404 off the two paths and 405 for other methods, without counting them', async () => {
    const idp = await start()
    expect((await fetch(`${idp.url}/jwks`)).status).toBe(404)
    const status = await new Promise<number | undefined>((resolve, reject) => {
      httpRequest(idp.jwksUrl, { method: 'POST' }, (response) => {
        response.resume()
        resolve(response.statusCode)
      })
        .on('error', reject)
        .end()
    })
    expect(status).toBe(405)
    expect(idp.requests.count).toBe(0)
  })
})
