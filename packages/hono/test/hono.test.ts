import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { serve, type ServerType } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import { rejectUpgrade, verifyNodeRequest } from '@mieweb/trusted-proxy-auth'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { getIdentity, trustedProxyAuth, type HonoTrustedProxyAuthOptions, type TrustedProxyAuthVariables } from '../src/index.js'

let issuer: RunningTestIssuer

beforeAll(async () => {
  issuer = await startTestIssuer()
})
afterAll(async () => {
  await issuer.close()
})

function appWith(options: HonoTrustedProxyAuthOptions): Hono<{ Variables: TrustedProxyAuthVariables }> {
  const app = new Hono<{ Variables: TrustedProxyAuthVariables }>()
  app.use(trustedProxyAuth(options))
  app.get('/whoami', (c) => c.json({ user: c.var.user, identity: c.var.trustedIdentity }))
  return app
}

describe('fetch runtimes', () => {
  it('reads TRUSTED_PROXY_* from the request bindings when env is a function (Cloudflare Workers style)', async () => {
    const app = new Hono<{ Bindings: Record<string, string>; Variables: TrustedProxyAuthVariables }>()
    app.use(trustedProxyAuth({ env: (c) => c.env as Record<string, string> }))
    app.get('/whoami', (c) => c.json({ subject: c.var.user?.subject }))
    const response = await app.request('/whoami', { headers: { 'x-test-assertion': await issuer.sign({ sub: 'worker-user' }) } }, envFor(issuer))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ subject: 'worker-user' })
  })

  it('answers 500 invalid_config when the bindings lack the settings', async () => {
    const app = new Hono()
    app.use(trustedProxyAuth({ env: (c) => c.env as Record<string, string> }))
    app.get('/', (c) => c.text('unreachable'))
    const response = await app.request('/', {}, {})
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ code: 'invalid_config' })
  })

  it('takes the peer address from getConnInfo when given', async () => {
    const app = appWith({ env: envFor(issuer), trustedAddresses: '10.0.0.0/8', getConnInfo: () => ({ remote: { address: '10.1.2.3' } }) })
    expect((await app.request('/whoami', { headers: { 'x-test-assertion': await issuer.sign() } })).status).toBe(200)
    const outside = appWith({ env: envFor(issuer), trustedAddresses: '10.0.0.0/8', getConnInfo: () => ({ remote: { address: '192.0.2.1' } }) })
    expect((await outside.request('/whoami', { headers: { 'x-test-assertion': await issuer.sign() } })).status).toBe(401)
  })

  it('the built middleware and the core it loads import no Node built-in module', () => {
    for (const file of ['../dist/index.js', '../../core/dist/index.js']) {
      const code = readFileSync(fileURLToPath(new URL(file, import.meta.url)), 'utf8')
      const imports = [...code.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gm)].map((match) => match[1])
      expect(imports.length, file).toBeGreaterThan(0)
      expect(imports.filter((specifier) => specifier?.startsWith('node:') || ['fs', 'http', 'net', 'crypto', 'buffer', 'stream'].includes(specifier ?? '')), file).toEqual([])
    }
  })
})

describe('getIdentity', () => {
  it('without an identity it answers the 401 missing_assertion problem through Hono\'s own error handling, with the middleware\'s detail setting', async () => {
    const app = new Hono()
    app.get('/bare', (c) => c.text(getIdentity(c).subject))
    app.get('/optional', trustedProxyAuth({ env: envFor(issuer), mode: 'optional', problemDetail: 'diagnostic' }), (c) => c.text(getIdentity(c).subject))
    const bare = await app.request('/bare')
    expect(bare.status).toBe(401)
    expect(bare.headers.get('content-type')).toBe('application/problem+json')
    expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer realm="trusted-proxy"/)
    expect(await bare.json()).toMatchObject({ code: 'missing_assertion', status: 401 })
    const optional = await app.request('/optional')
    expect(await optional.json()).toMatchObject({ code: 'missing_assertion', detail: expect.stringMatching(/: the route requires an identity$/) })
    const signed = await app.request('/optional', { headers: { 'x-test-assertion': await issuer.sign({ sub: 'hono-user' }) } })
    expect(await signed.text()).toBe('hono-user')
  })
})

describe('onError', () => {
  it('builds the response for a rejected request', async () => {
    const app = appWith({ env: envFor(issuer), onError: (error, c) => c.json({ message: 'sign in first', code: error.code }, 401) })
    const response = await app.request('/whoami')
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ message: 'sign in first', code: 'missing_assertion' })
  })
})

describe('what comes after the middleware', () => {
  it("hands a handler that answers nothing to the app's onError, on a cache hit and on a first verification alike", async () => {
    const app = new Hono<{ Variables: TrustedProxyAuthVariables }>()
    app.use(trustedProxyAuth({ env: envFor(issuer) }))
    // @ts-expect-error A handler that returns nothing: the mistake under test (Hono finds the context not finalized).
    app.get('/silent', (c) => {
      void c.text('never sent')
    })
    app.onError((error, c) => c.text(`app onError: ${error.message}`, 500))
    const headers = { 'x-test-assertion': await issuer.sign({ sub: 'silent-user' }) }
    // The first two verify in full (the cache takes an assertion in at its second success), the third is a hit.
    for (let i = 0; i < 3; i++) {
      const response = await app.request('/silent', { headers })
      expect(response).toBeInstanceOf(Response)
      expect(response.status).toBe(500)
      expect(await response.text()).toMatch(/^app onError: Context is not finalized/)
    }
  })
})

describe('WebSocket upgrades through @hono/node-server (core verifyNodeRequest + rejectUpgrade)', () => {
  let server: ServerType
  let address: string

  beforeAll(async () => {
    const auth = trustedProxyAuth({ env: envFor(issuer) })
    const app = new Hono().use(auth)
    const wss = new WebSocketServer({ noServer: true })
    server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started))
    })
    server.on('upgrade', (req, socket, head) => {
      verifyNodeRequest(auth.verifier!, req).then(
        (identity) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(`hello ${identity?.subject}`)),
        (error: unknown) => rejectUpgrade(socket, error),
      )
    })
    address = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/live`
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  const connect = (headers: Record<string, string>) =>
    new Promise<string>((resolve) => {
      const socket = new WebSocket(address, { headers })
      socket.on('message', (data) => {
        resolve(String(data))
        socket.close()
      })
      socket.on('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`))
      socket.on('error', () => undefined)
    })

  it('a valid assertion connects, a missing one gets HTTP 401 on the handshake', async () => {
    expect(await connect({ 'x-test-assertion': await issuer.sign({ sub: 'ws-user' }) })).toBe('hello ws-user')
    expect(await connect({})).toBe('HTTP 401')
  })
})

describe('a request accepted at once', () => {
  it('calls next within the middleware call, with no wait for the verifier (keys loaded, or a cache hit)', async () => {
    // A configuration of its own: not a verifier shared with earlier tests, so its keys are not loaded yet.
    const auth = trustedProxyAuth({ env: envFor(issuer), clockTolerance: 7 })
    const token = await issuer.sign()
    const variables = new Map<string, unknown>()
    const fakeContext = (): Context =>
      ({
        env: { incoming: { rawHeaders: ['X-Test-Assertion', token], socket: { remoteAddress: '127.0.0.1' } } },
        req: { path: '/whoami' },
        set: (name: string, value: unknown) => variables.set(name, value),
      }) as unknown as Context
    let nextCalls = 0
    const next = async (): Promise<void> => {
      nextCalls++
    }
    // The first request waits for the key set.
    const waiting = auth(fakeContext(), next)
    expect(nextCalls).toBe(0)
    await waiting
    expect(nextCalls).toBe(1)
    const answered = auth(fakeContext(), next)
    expect(nextCalls).toBe(2)
    await answered
    expect((variables.get('trustedIdentity') as { subject: string }).subject).toBe('test-user')
    auth.verifier?.close()
  })
})

describe('protect(handler): the check as the route\'s only handler', () => {
  it('protect(handler, requirements) refuses a malformed requirement when the route is declared, with invalid_config', () => {
    const auth = trustedProxyAuth({ env: envFor(issuer) })
    expect(() => auth.protect((c) => c.text('x'), { groups: { any: [] } })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    auth.verifier?.close()
  })

  it('on a cache hit returns the handler\'s own Response within the call (no promise of ours), and Hono runs the route without composing', async () => {
    const auth = trustedProxyAuth({ env: envFor(issuer) })
    let handlerCalls = 0
    const handler = (c: Context<{ Variables: TrustedProxyAuthVariables }>): Response => {
      handlerCalls++
      return c.text(c.var.user?.subject ?? 'nobody')
    }
    const protectedHandler = auth.protect(handler)
    const app = new Hono<{ Variables: TrustedProxyAuthVariables }>()
    app.get('/me', protectedHandler)
    const headers = { 'x-test-assertion': await issuer.sign({ sub: 'protected-user' }) }
    // The first two verify in full (the cache takes an assertion in at its second success), the third is a hit.
    for (let i = 0; i < 2; i++) expect(await (await app.request('/me', { headers })).text()).toBe('protected-user')
    // Hono's dispatch returns a single handler's synchronous Response as it is: a Promise here would mean a composed
    // route or a promise of ours.
    const answered = app.fetch(new Request('http://app.test/me', { headers }))
    expect(answered).toBeInstanceOf(Response)
    expect(await (answered as Response).text()).toBe('protected-user')
    expect(handlerCalls).toBe(3)
    auth.verifier?.close()
  })

  it("a handler that answers nothing gets Hono's answer for a one-handler route (404), as it would without the check", async () => {
    const auth = trustedProxyAuth({ env: envFor(issuer) })
    const protectedApp = new Hono<{ Variables: TrustedProxyAuthVariables }>()
    const bareApp = new Hono()
    // @ts-expect-error A handler that returns nothing: the mistake under test.
    protectedApp.get('/silent', auth.protect(() => undefined))
    // @ts-expect-error The same mistake without the check.
    bareApp.get('/silent', () => undefined)
    const headers = { 'x-test-assertion': await issuer.sign({ sub: 'silent-user' }) }
    // The first two verify in full (the second waits for nothing: keys in memory), the third is a cache hit.
    for (let i = 0; i < 3; i++) expect((await protectedApp.request('/silent', { headers })).status).toBe((await bareApp.request('/silent')).status)
    expect((await bareApp.request('/silent')).status).toBe(404)
    auth.verifier?.close()
  })

  it('refuses without calling the handler, through onError when given, and a thrown handler error reaches the app\'s onError', async () => {
    const auth = trustedProxyAuth({ env: envFor(issuer), onError: (error, c) => c.json({ refused: error.code }, 401) })
    const app = new Hono<{ Variables: TrustedProxyAuthVariables }>()
    let handlerCalls = 0
    app.get(
      '/me',
      auth.protect((c) => {
        handlerCalls++
        return c.text('unreachable')
      }),
    )
    app.get(
      '/throws',
      auth.protect(() => {
        throw new Error('handler failed')
      }),
    )
    app.onError((error, c) => c.text(`app onError: ${error.message}`, 500))
    const refused = await app.request('/me', { headers: { 'x-test-assertion': await issuer.sign({ aud: 'someone-else' }) } })
    expect(refused.status).toBe(401)
    expect(await refused.json()).toEqual({ refused: 'audience_mismatch' })
    expect(handlerCalls).toBe(0)
    const headers = { 'x-test-assertion': await issuer.sign() }
    for (let i = 0; i < 3; i++) {
      const thrown = await app.request('/throws', { headers })
      expect(thrown.status).toBe(500)
      expect(await thrown.text()).toBe('app onError: handler failed')
    }
    auth.verifier?.close()
  })
})
