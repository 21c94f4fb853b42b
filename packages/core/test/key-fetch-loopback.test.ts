import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, loadConfig, TrustedProxyAuthError } from '../src/index.js'
import { fetchKeyDocument, FetchFailure } from '../src/key-fetch.js'
import { KidTemplateKeyStore } from '../src/key-sources/kid-template-keys.js'

// Every remote read (key set, discovery document, per-kid PEM key) over real loopback HTTP and the real
// fetch: a huge body stops being read once past the cap, a huge Content-Length is refused before reading,
// and one deadline covers the whole exchange. The server counts the bytes it actually put on the socket.

const HUGE = 600 * 1024 * 1024
const MiB = 1024 * 1024
const KID = 'abb8289f-e3a4-4a34-9472-c2105e2b2482'

interface Served {
  /** Bytes the server's socket wrote for this request, known once the client went away or it finished. */
  bytesWritten: Promise<number>
}

let server: Server
let base: string
const served = new Map<string, Served[]>()

/** Writes `total` spaces in 64 KiB chunks, honouring back-pressure, until done or the client goes away. */
function stream(response: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  let written = 0
  const pump = (): void => {
    while (written < total && !response.destroyed) {
      written += chunk.length
      if (!response.write(chunk)) {
        response.once('drain', pump)
        return
      }
    }
    if (!response.destroyed) response.end()
  }
  pump()
}

function trickle(response: ServerResponse): void {
  let sent = 0
  const timer = setInterval(() => {
    if (response.destroyed || sent++ >= 300) {
      clearInterval(timer)
      if (!response.destroyed) response.end('{"keys":[]}')
      return
    }
    response.write(' ')
  }, 100)
  response.on('close', () => clearInterval(timer))
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0]!
  const socket = request.socket
  const record: Served = {
    bytesWritten: new Promise((resolve) => {
      response.on('close', () => resolve(socket.bytesWritten))
    }),
  }
  served.set(path, [...(served.get(path) ?? []), record])
  if (path.endsWith('/declared')) {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE) })
    stream(response, HUGE)
  } else if (path.endsWith('/trickle')) {
    response.writeHead(200, { 'content-type': 'application/json' })
    trickle(response)
  } else if (path.endsWith('/.well-known/openid-configuration') || path.includes('/huge') || path.startsWith('/keys/')) {
    // No Content-Length (chunked): only counting while reading can stop it.
    response.writeHead(200, { 'content-type': 'application/json' })
    stream(response, HUGE)
  } else {
    response.writeHead(404).end()
  }
}

beforeAll(async () => {
  server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function bytesServed(path: string): Promise<number> {
  const records = served.get(path) ?? []
  expect(records.length).toBeGreaterThan(0)
  const counts = await Promise.all(records.map((record) => record.bytesWritten))
  return Math.max(...counts)
}

async function failure(work: Promise<unknown>): Promise<TrustedProxyAuthError> {
  try {
    await work
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return error
    throw error
  }
  throw new Error('expected a TrustedProxyAuthError')
}

describe('remote reads are bounded while reading', () => {
  it('a key set answering 600 MiB stops after about the 1 MiB cap, with the cause in detail and events', async () => {
    const events: Array<{ type: string; reason?: string }> = []
    const config = loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-Test-Assertion', TRUSTED_PROXY_ISSUER: 'https://proxy.test', TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_JWKS_URL: `${base}/huge/jwks.json` })
    const verifier = createVerifier(config, { onEvent: (event) => events.push(event) })
    try {
      const error = await failure(verifier.ready({ timeout: 30 }))
      expect(error.code).toBe('jwks_unavailable')
      expect(error.detail).toBe(`response larger than ${MiB} bytes`)
      expect(events).toContainEqual(expect.objectContaining({ type: 'jwks_fetch_failed', reason: `response larger than ${MiB} bytes` }))
    } finally {
      verifier.close()
    }
    const written = await bytesServed('/huge/jwks.json')
    // The cap plus what loopback socket buffers hold; reading it whole would be 600 MiB.
    expect(written).toBeLessThan(16 * MiB)
    console.info(`key set: server wrote ${written} bytes before the client stopped (cap ${MiB})`)
  })

  it('an OpenID discovery document answering 600 MiB stops after about the 1 MiB cap', async () => {
    const issuer = `${base}/huge/idp`
    const verifier = createVerifier(loadConfig({ TRUSTED_PROXY_PRESET: 'oauth2-proxy', TRUSTED_PROXY_ISSUER: issuer, TRUSTED_PROXY_AUDIENCE: 'oauth2-proxy' }))
    try {
      const error = await failure(verifier.ready({ timeout: 30 }))
      expect(error.detail).toBe(`response larger than ${MiB} bytes`)
    } finally {
      verifier.close()
    }
    const written = await bytesServed('/huge/idp/.well-known/openid-configuration')
    expect(written).toBeLessThan(16 * MiB)
    console.info(`discovery: server wrote ${written} bytes before the client stopped (cap ${MiB})`)
  })

  it('a per-kid PEM key answering 600 MiB stops after about the 16 KiB cap', async () => {
    const store = new KidTemplateKeyStore({
      template: `${base}/keys/{kid}`,
      timeoutMs: 30_000,
      cacheTtlMs: 600_000,
      cooldownMs: 30_000,
      maxStaleMs: 3_600_000,
      fetch: globalThis.fetch.bind(globalThis),
      onEvent: () => undefined,
      clock: Date.now,
    })
    const error = await failure(store.keyFor(KID))
    expect(error.code).toBe('jwks_unavailable')
    expect(error.detail).toBe(`response larger than ${16 * 1024} bytes`)
    const written = await bytesServed(`/keys/${KID}`)
    expect(written).toBeLessThan(16 * MiB)
    console.info(`per-kid PEM: server wrote ${written} bytes before the client stopped (cap ${16 * 1024})`)
  })

  it('a Content-Length above the cap is refused before the body is read, and the connection released', async () => {
    await expect(fetchKeyDocument({ fetch, url: `${base}/declared`, timeoutMs: 30_000, maxBytes: MiB, accept: 'application/json' })).rejects.toThrow(
      new FetchFailure(`response larger than ${MiB} bytes`),
    )
    // Released: the server sees the client go away instead of streaming 600 MiB.
    expect(await bytesServed('/declared')).toBeLessThan(16 * MiB)
  })

  it('one deadline covers the whole body: a trickle (a byte per 0.1 s for 30 s) ends after the timeout', async () => {
    const started = performance.now()
    await expect(fetchKeyDocument({ fetch, url: `${base}/trickle`, timeoutMs: 300, maxBytes: MiB, accept: 'application/json' })).rejects.toThrow(
      new FetchFailure('timed out after 0.3 s'),
    )
    // Far below the 30 s the trickle would take; not a tight timing.
    expect(performance.now() - started).toBeLessThan(10_000)
    expect(await bytesServed('/trickle')).toBeLessThan(1024)
  })

  it('names a refused connection', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    await expect(fetchKeyDocument({ fetch, url: `http://127.0.0.1:${port}/jwks.json`, timeoutMs: 5_000, maxBytes: MiB, accept: 'application/json' })).rejects.toThrow(
      new FetchFailure('connection refused'),
    )
  })
})
