import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import Koa from 'koa'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { authenticateUpgrade, trustedProxyAuth, type KoaTrustedProxyAuthOptions, type TrustedProxyAuthState } from '../src/index.js'
import { listen } from './app.js'

let issuer: RunningTestIssuer
const closers: Array<() => Promise<void>> = []

beforeAll(async () => {
  issuer = await startTestIssuer()
})
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})
afterAll(async () => {
  await issuer.close()
})

const settings = (extra: KoaTrustedProxyAuthOptions = {}): KoaTrustedProxyAuthOptions => ({ env: envFor(issuer), ...extra })

async function serve(configure: (app: Koa<TrustedProxyAuthState>) => void): Promise<string> {
  const app = new Koa<TrustedProxyAuthState>()
  configure(app)
  app.use((ctx) => {
    ctx.body = { user: ctx.state.user ?? null, identity: ctx.state.trustedIdentity ?? null }
  })
  const running = await listen(app, '127.0.0.1')
  closers.push(running.close)
  return running.url
}

describe('peer address and app.proxy', () => {
  it('without app.proxy the socket peer decides; with it Koa picks the forwarded address', async () => {
    const token = await issuer.sign()
    const headers = { 'x-test-assertion': token, 'x-forwarded-for': '10.1.2.3' }
    const strict = await serve((app) => app.use(trustedProxyAuth(settings({ trustedAddresses: '10.0.0.0/8' }))))
    expect((await fetch(`${strict}/`, { headers })).status).toBe(401)
    const proxied = await serve((app) => {
      app.proxy = true
      app.use(trustedProxyAuth(settings({ trustedAddresses: '10.0.0.0/8' })))
    })
    expect((await fetch(`${proxied}/`, { headers })).status).toBe(200)
  })
})

describe('options', () => {
  it('unless skips authentication for matching requests only', async () => {
    const url = await serve((app) => app.use(trustedProxyAuth(settings({ unless: (ctx) => ctx.path === '/health' }))))
    expect((await fetch(`${url}/health`)).status).toBe(200)
    expect((await fetch(`${url}/other`)).status).toBe(401)
  })

  it('onError replaces the problem response', async () => {
    const url = await serve((app) =>
      app.use(
        trustedProxyAuth(
          settings({
            onError: (error, ctx) => {
              ctx.status = error.status
              ctx.body = { message: 'sign in first', code: error.code }
            },
          }),
        ),
      ),
    )
    const response = await fetch(`${url}/`)
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ message: 'sign in first', code: 'missing_assertion' })
  })

  it('the problem response keeps its media type exactly', async () => {
    const url = await serve((app) => app.use(trustedProxyAuth(settings())))
    const response = await fetch(`${url}/`)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
  })
})

describe('WebSocket upgrades (Node server upgrade event next to app.callback())', () => {
  let server: Server
  let address: string

  beforeAll(async () => {
    const auth = trustedProxyAuth(settings())
    const app = new Koa().use(auth)
    const wss = new WebSocketServer({ noServer: true })
    server = createServer(app.callback())
    server.on('upgrade', async (req, socket, head) => {
      const result = await authenticateUpgrade(auth.verifier, req, socket)
      if (result.authenticated) wss.handleUpgrade(req, socket, head, (ws) => ws.send(`hello ${result.identity?.subject}`))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    address = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/live`
  })
  afterAll(async () => {
    server.closeAllConnections()
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

  it('a valid assertion connects, an invalid one gets HTTP 401 on the handshake', async () => {
    expect(await connect({ 'x-test-assertion': await issuer.sign({ sub: 'ws-user' }) })).toBe('hello ws-user')
    expect(await connect({ 'x-test-assertion': 'garbage' })).toBe('HTTP 401')
  })
})

describe('a request accepted at once', () => {
  const fakeContext = (token: string): Koa.Context =>
    ({ originalUrl: '/whoami', req: { rawHeaders: ['X-Test-Assertion', token], socket: { remoteAddress: '127.0.0.1' } }, app: { proxy: false }, state: {} }) as unknown as Koa.Context

  it('hands downstream’s own promise back with no promise of its own (keys loaded, or a cache hit); what waits comes later', async () => {
    // A configuration of its own: not a verifier shared with earlier tests, so its keys are not loaded yet.
    const auth = trustedProxyAuth(settings({ clockTolerance: 7 }))
    const token = await issuer.sign()
    let nextCalls = 0
    const downstream = Promise.resolve()
    const next = (): Promise<void> => {
      nextCalls++
      return downstream
    }
    // The first request waits for the key set.
    const waiting = auth(fakeContext(token), next)
    expect(nextCalls).toBe(0)
    await waiting
    expect(nextCalls).toBe(1)
    const ctx = fakeContext(token)
    expect(auth(ctx, next)).toBe(downstream)
    expect(nextCalls).toBe(2)
    expect((ctx.state as TrustedProxyAuthState).trustedIdentity?.subject).toBe('test-user')
    auth.verifier.close()
  })
})
