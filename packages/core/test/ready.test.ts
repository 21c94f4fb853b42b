import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, loadConfig, TrustedProxyAuthError, type Verifier } from '../src/index.js'

// ready(): one rule in both languages (Python: tests/test_reads.py). It resolves once a usable key set is
// loaded; otherwise it fetches and rejects with jwks_unavailable as soon as that fetch fails, or after
// `timeout` seconds (default TRUSTED_PROXY_JWKS_TIMEOUT), whichever comes first.

let server: Server
let base: string
let jwks = '{"keys":[]}'

beforeAll(async () => {
  jwks = JSON.stringify((await createTestIssuer({ algorithms: ['ES256'] })).jwks())
  server = createServer((request, response) => {
    if (request.url === '/jwks.json') response.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
    else if (request.url === '/missing') response.writeHead(404).end()
    // '/hang': headers are never sent
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

function verifierFor(url: string, extra: Record<string, string> = {}): Verifier {
  return createVerifier(
    loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-Test-Assertion', TRUSTED_PROXY_ISSUER: 'https://proxy.test', TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_JWKS_URL: url, ...extra }),
  )
}

async function readyError(verifier: Verifier, options?: { timeout?: number }): Promise<TrustedProxyAuthError> {
  try {
    await verifier.ready(options)
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return error
    throw error
  } finally {
    verifier.close()
  }
  throw new Error('ready() resolved')
}

describe('ready(timeout)', () => {
  it('resolves once the key set is loaded', async () => {
    const verifier = verifierFor(`${base}/jwks.json`)
    await expect(verifier.ready({ timeout: 5 })).resolves.toBeUndefined()
    expect(verifier.status().state).toBe('ready')
    verifier.close()
  })

  it('rejects as soon as the load fails, naming the cause', async () => {
    const error = await readyError(verifierFor(`${base}/missing`), { timeout: 30 })
    expect(error).toMatchObject({ code: 'jwks_unavailable', detail: 'HTTP status 404' })
  })

  it('rejects after its timeout while the key endpoint never answers (it used to never settle)', async () => {
    const started = performance.now()
    const error = await readyError(verifierFor(`${base}/hang`, { TRUSTED_PROXY_JWKS_TIMEOUT: '30' }), { timeout: 0.2 })
    expect(error).toMatchObject({ code: 'jwks_unavailable', detail: 'no key set loaded within 0.2 s' })
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('defaults to TRUSTED_PROXY_JWKS_TIMEOUT, the fetch deadline', async () => {
    const started = performance.now()
    const error = await readyError(verifierFor(`${base}/hang`, { TRUSTED_PROXY_JWKS_TIMEOUT: '0.2' }))
    expect(error.code).toBe('jwks_unavailable')
    expect(error.detail).toMatch(/^(timed out after 0\.2 s|no key set loaded within 0\.2 s)$/)
    expect(performance.now() - started).toBeLessThan(10_000)
  })
})
