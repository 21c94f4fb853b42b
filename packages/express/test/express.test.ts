import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import express from 'express'
import { createVerifierFromEnv } from '@mieweb/trusted-proxy-auth'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { authenticateUpgrade, trustedProxyAuth, type ExpressTrustedProxyAuthOptions } from '../src/index.js'
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

const settings = (extra: ExpressTrustedProxyAuthOptions = {}): ExpressTrustedProxyAuthOptions => ({ env: envFor(issuer), ...extra })

async function serve(configure: (app: express.Express) => void): Promise<string> {
  const app = express()
  configure(app)
  app.get('/whoami', (req, res) => {
    res.json({ user: req.user ?? null, identity: req.trustedIdentity ?? null })
  })
  const running = await listen(app, '127.0.0.1')
  closers.push(running.close)
  return running.url
}

describe('peer address and Express trust proxy', () => {
  it('without trust proxy the socket peer decides, whatever X-Forwarded-For says', async () => {
    const url = await serve((app) => app.use(trustedProxyAuth(settings({ trustedAddresses: '10.0.0.0/8' }))))
    const response = await fetch(`${url}/whoami`, { headers: { 'x-test-assertion': await issuer.sign(), 'x-forwarded-for': '10.1.2.3' } })
    expect(response.status).toBe(401)
    expect((await response.json()).code).toBe('untrusted_source')
  })

  it("with trust proxy set, Express's req.ip (the forwarded hop it trusts) is checked", async () => {
    const url = await serve((app) => {
      app.set('trust proxy', 'loopback')
      app.use(trustedProxyAuth(settings({ trustedAddresses: '10.0.0.0/8' })))
    })
    const token = await issuer.sign()
    expect((await fetch(`${url}/whoami`, { headers: { 'x-test-assertion': token, 'x-forwarded-for': '10.1.2.3' } })).status).toBe(200)
    expect((await fetch(`${url}/whoami`, { headers: { 'x-test-assertion': token, 'x-forwarded-for': '192.0.2.1' } })).status).toBe(401)
  })
})

describe('options', () => {
  it('onError replaces the problem response and receives the coded error', async () => {
    const codes: string[] = []
    const url = await serve((app) =>
      app.use(
        trustedProxyAuth(
          settings({
            onError: (error, _req, res) => {
              codes.push(error.code)
              res.status(error.status).type('text/plain').send(`please sign in (${error.code})`)
            },
          }),
        ),
      ),
    )
    const response = await fetch(`${url}/whoami`)
    expect(response.status).toBe(401)
    expect(await response.text()).toBe('please sign in (missing_assertion)')
    expect(codes).toEqual(['missing_assertion'])
  })

  it('onError may hand the error to the Express error handler with next(error)', async () => {
    const url = await serve((app) => {
      app.use(trustedProxyAuth(settings({ onError: (error, _req, _res, next) => next(error) })))
      app.use('/whoami', (error: Error & { status: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(error.status).json({ handledBy: 'app', message: error.message })
      })
    })
    const response = await fetch(`${url}/whoami`, { headers: { 'x-test-assertion': 'garbage' } })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ handledBy: 'app', message: 'the identity assertion is not a well-formed compact JWS' })
  })

  it('unless skips authentication for matching requests only', async () => {
    const url = await serve((app) => {
      app.use(trustedProxyAuth(settings({ unless: (req) => req.path === '/public' })))
      app.get('/public', (_req, res) => {
        res.json({ ok: true })
      })
    })
    expect((await fetch(`${url}/public`)).status).toBe(200)
    expect((await fetch(`${url}/whoami`)).status).toBe(401)
  })

  it('accepts a prebuilt verifier, and refuses one combined with other settings', async () => {
    const verifier = createVerifierFromEnv({}, envFor(issuer))
    const url = await serve((app) => app.use(trustedProxyAuth({ verifier })))
    expect((await fetch(`${url}/whoami`, { headers: { 'x-test-assertion': await issuer.sign() } })).status).toBe(200)
    expect(() => trustedProxyAuth({ verifier, mode: 'optional' })).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    verifier.close()
  })

  it('throws invalid_config at creation for a misspelt option, naming it', () => {
    expect(() => trustedProxyAuth(settings({ audiences: 'x' } as ExpressTrustedProxyAuthOptions))).toThrow(
      expect.objectContaining({ code: 'invalid_config', problems: [{ variable: 'audiences', message: 'is not a known option' }] }),
    )
  })
})

describe('WebSocket upgrades', () => {
  let server: Server
  let address: string

  beforeAll(async () => {
    const auth = trustedProxyAuth(settings({ allowedGroups: 'staff' }))
    const wss = new WebSocketServer({ noServer: true })
    server = createServer(express().use(auth))
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

  function connect(headers: Record<string, string>): Promise<{ message?: string; status?: number; body?: string; contentType?: string }> {
    return new Promise((resolve) => {
      const socket = new WebSocket(address, { headers })
      socket.on('message', (data) => {
        resolve({ message: String(data) })
        socket.close()
      })
      socket.on('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode, body, contentType: res.headers['content-type'] }))
      })
      socket.on('error', () => undefined)
    })
  }

  it('a valid assertion is connected and the identity reaches the connection', async () => {
    expect(await connect({ 'x-test-assertion': await issuer.sign({ sub: 'ws-user', groups: ['staff'] }) })).toEqual({ message: 'hello ws-user' })
  })

  it('a missing or invalid assertion gets HTTP 401 with the problem body on the handshake, not a 1008 close', async () => {
    const missing = await connect({})
    expect(missing.status).toBe(401)
    expect(missing.contentType).toBe('application/problem+json')
    expect(JSON.parse(missing.body ?? '{}').code).toBe('missing_assertion')
    const token = await issuer.sign({ groups: ['staff'] }, { now: Math.floor(Date.now() / 1000) - 3600 })
    const expired = await connect({ 'x-test-assertion': token })
    expect(expired.status).toBe(401)
    expect(expired.body).not.toContain(token.split('.')[1])
  })

  it('a user outside the allowed groups gets 403', async () => {
    const forbidden = await connect({ 'x-test-assertion': await issuer.sign({ groups: ['guests'] }) })
    expect(forbidden.status).toBe(403)
    expect(JSON.parse(forbidden.body ?? '{}').code).toBe('forbidden_user')
  })
})

describe('one verifier per configuration', () => {
  it('five per-route trustedProxyAuth() calls make one key fetch and share one verifier', async () => {
    const fresh = await startTestIssuer()
    try {
      const routes = Array.from({ length: 5 }, () => trustedProxyAuth({ env: envFor(fresh) }))
      const url = await serve((app) => routes.forEach((auth, index) => app.get(`/route-${index}`, auth, (req, res) => res.json({ subject: req.trustedIdentity?.subject }))))
      await Promise.all(routes.map((auth) => auth.verifier.ready()))
      const token = await fresh.sign()
      for (let index = 0; index < routes.length; index++) {
        const response = await fetch(`${url}/route-${index}`, { headers: { 'x-test-assertion': token } })
        expect(await response.json()).toEqual({ subject: fresh.subject })
      }
      expect(fresh.requests.count).toBe(1)
      for (const auth of routes) auth.verifier.close()
    } finally {
      await fresh.close()
    }
  })
})

describe('a request accepted at once', () => {
  const fakeRequest = (token: string): express.Request =>
    ({ originalUrl: '/whoami', rawHeaders: ['X-Test-Assertion', token], app: { get: () => undefined }, socket: { remoteAddress: '127.0.0.1' } }) as unknown as express.Request

  it('reaches next() within the middleware call and makes no promise (keys loaded, or a cache hit); what waits comes as a promise', async () => {
    // A configuration of its own: not a verifier shared with earlier tests, so its keys are not loaded yet.
    const auth = trustedProxyAuth(settings({ clockTolerance: 7 }))
    const token = await issuer.sign()
    let nextCalls = 0
    const next = (error?: unknown): void => {
      if (error) throw error
      nextCalls++
    }
    // The first request waits for the key set.
    const waiting = auth(fakeRequest(token), {} as express.Response, next)
    expect(waiting).toBeInstanceOf(Promise)
    expect(nextCalls).toBe(0)
    await waiting
    expect(nextCalls).toBe(1)
    const req = fakeRequest(token)
    expect(auth(req, {} as express.Response, next)).toBeUndefined()
    expect(nextCalls).toBe(2)
    expect(req.trustedIdentity?.subject).toBe('test-user')
    expect(req.user).toBe(req.trustedIdentity)
    auth.verifier.close()
  })
})
