import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import fastifyWebsocket from '@fastify/websocket'
import fastifyTrustedProxyAuthDefault, { authenticateUpgrade, fastifyTrustedProxyAuth, getIdentity, trustedProxyAuth, type FastifyTrustedProxyAuthOptions } from '../src/index.js'

let issuer: RunningTestIssuer
const apps: FastifyInstance[] = []

beforeAll(async () => {
  issuer = await startTestIssuer()
})
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})
afterAll(async () => {
  await issuer.close()
})

const settings = (extra: FastifyTrustedProxyAuthOptions = {}): FastifyTrustedProxyAuthOptions => ({ env: envFor(issuer), ...extra })
const whoami = async (request: { user: unknown; trustedIdentity: unknown }) => ({ user: request.user, identity: request.trustedIdentity })

async function start(app: FastifyInstance): Promise<string> {
  apps.push(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

describe('plugin scope and route-level use', () => {
  it('protects only the encapsulated scope it is registered in; sibling scopes stay public', async () => {
    const app = Fastify()
    await app.register(async (scope) => {
      await scope.register(trustedProxyAuth(settings()))
      scope.get('/private', whoami)
    })
    await app.register(async (scope) => {
      scope.get('/public', async () => ({ ok: true }))
    })
    const url = await start(app)
    expect((await fetch(`${url}/private`)).status).toBe(401)
    expect((await fetch(`${url}/public`)).status).toBe(200)
    const response = await fetch(`${url}/private`, { headers: { 'x-test-assertion': await issuer.sign({ sub: 'scoped' }) } })
    expect((await response.json()).user.subject).toBe('scoped')
  })

  it('with global: false it is a route-level onRequest hook', async () => {
    const auth = trustedProxyAuth(settings({ global: false }))
    const app = Fastify()
    await app.register(auth)
    app.get('/open', async (request) => ({ user: request.user }))
    app.get('/guarded', { onRequest: auth }, whoami)
    const url = await start(app)
    expect(await (await fetch(`${url}/open`)).json()).toEqual({ user: null })
    expect((await fetch(`${url}/guarded`)).status).toBe(401)
    expect((await fetch(`${url}/guarded`, { headers: { 'x-test-assertion': await issuer.sign() } })).status).toBe(200)
  })

  it('works as an onRequest hook even without being registered', async () => {
    const auth = trustedProxyAuth(settings())
    const app = Fastify()
    app.get('/guarded', { onRequest: auth }, whoami)
    const url = await start(app)
    expect((await fetch(`${url}/guarded`)).status).toBe(401)
    const response = await fetch(`${url}/guarded`, { headers: { 'x-test-assertion': await issuer.sign({ sub: 'hooked' }) } })
    expect((await response.json()).identity.subject).toBe('hooked')
    auth.verifier.close()
  })

  it('the default export takes its options at registration', async () => {
    expect(fastifyTrustedProxyAuthDefault).toBe(fastifyTrustedProxyAuth)
    const app = Fastify()
    await app.register(fastifyTrustedProxyAuth, settings({ mode: 'optional' }))
    app.get('/whoami', whoami)
    const url = await start(app)
    expect(await (await fetch(`${url}/whoami`)).json()).toEqual({ user: null, identity: null })
  })

  it('refuses settings passed as register options to an already-configured plugin', async () => {
    const app = Fastify()
    apps.push(app)
    await expect(app.register(trustedProxyAuth(settings()), { mode: 'optional' } as never)).rejects.toMatchObject({ code: 'invalid_config' })
  })

  it('fails registration (app.ready) on invalid configuration', async () => {
    const app = Fastify()
    apps.push(app)
    app.register(fastifyTrustedProxyAuth, { env: {} })
    await expect(app.ready()).rejects.toMatchObject({ code: 'invalid_config' })
  })
})

describe('route option trustedProxyRequirements', () => {
  it('guards the route before its own preHandler; a malformed requirement fails when the route is added', async () => {
    const app = Fastify()
    await app.register(trustedProxyAuth(settings()))
    const preHandlerSaw: string[] = []
    app.get(
      '/reports',
      { config: { trustedProxyRequirements: { scopes: ['reports:read'] } }, preHandler: async (request) => void preHandlerSaw.push(getIdentity(request).subject) },
      async (request) => ({ subject: getIdentity(request).subject }),
    )
    expect(() => app.get('/broken', { config: { trustedProxyRequirements: { scopes: [] } } }, whoami)).toThrow(expect.objectContaining({ code: 'invalid_config' }))
    const url = await start(app)
    const get = async (claims: Record<string, unknown>) => fetch(`${url}/reports`, { headers: { 'x-test-assertion': await issuer.sign(claims) } })
    const allowed = await get({ sub: 'reader', scope: 'reports:read' })
    expect(allowed.status).toBe(200)
    expect(await allowed.json()).toEqual({ subject: 'reader' })
    expect((await get({ sub: 'writer', scope: 'reports:write' })).status).toBe(403)
    expect(preHandlerSaw).toEqual(['reader'])
  })
})

describe('peer address and trustProxy', () => {
  it('request.ip follows Fastify trustProxy; without it X-Forwarded-For is ignored', async () => {
    const token = await issuer.sign()
    const strict = Fastify()
    await strict.register(trustedProxyAuth(settings({ trustedAddresses: '10.0.0.0/8' })))
    strict.get('/whoami', whoami)
    const strictUrl = await start(strict)
    expect((await fetch(`${strictUrl}/whoami`, { headers: { 'x-test-assertion': token, 'x-forwarded-for': '10.1.2.3' } })).status).toBe(401)

    const proxied = Fastify({ trustProxy: '127.0.0.1' })
    await proxied.register(trustedProxyAuth(settings({ trustedAddresses: '10.0.0.0/8' })))
    proxied.get('/whoami', whoami)
    const proxiedUrl = await start(proxied)
    expect((await fetch(`${proxiedUrl}/whoami`, { headers: { 'x-test-assertion': token, 'x-forwarded-for': '10.1.2.3' } })).status).toBe(200)
  })
})

describe('onError', () => {
  it('replaces the problem response', async () => {
    const app = Fastify()
    await app.register(
      trustedProxyAuth(
        settings({
          onError: async (error, _request, reply) => {
            await reply.code(error.status).header('x-auth-error', error.code).send({ message: 'sign in first' })
          },
        }),
      ),
    )
    app.get('/whoami', whoami)
    const url = await start(app)
    const response = await fetch(`${url}/whoami`)
    expect(response.status).toBe(401)
    expect(response.headers.get('x-auth-error')).toBe('missing_assertion')
    expect(await response.json()).toEqual({ message: 'sign in first' })
  })

  it('a throwing onError reaches the Fastify error handler', async () => {
    const app = Fastify()
    await app.register(
      trustedProxyAuth(
        settings({
          onError: (error) => {
            throw Object.assign(new Error('custom'), { statusCode: error.status === 401 ? 418 : 500 })
          },
        }),
      ),
    )
    app.get('/whoami', whoami)
    const url = await start(app)
    expect((await fetch(`${url}/whoami`)).status).toBe(418)
  })
})

describe('WebSocket upgrades (Node server upgrade event; @fastify/websocket is not used)', () => {
  it('a valid assertion connects, a missing one gets HTTP 401 on the handshake', async () => {
    const auth = trustedProxyAuth(settings())
    const app = Fastify()
    await app.register(auth)
    const wss = new WebSocketServer({ noServer: true })
    app.server.on('upgrade', async (req, socket, head) => {
      const result = await authenticateUpgrade(auth.verifier, req, socket)
      if (result.authenticated) wss.handleUpgrade(req, socket, head, (ws) => ws.send(`hello ${result.identity?.subject}`))
    })
    const url = (await start(app)).replace('http:', 'ws:')
    const connect = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`${url}/live`, { headers })
        socket.on('message', (data) => {
          resolve(String(data))
          socket.close()
        })
        socket.on('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`))
        socket.on('error', () => undefined)
      })
    expect(await connect({ 'x-test-assertion': await issuer.sign({ sub: 'ws-user' }) })).toBe('hello ws-user')
    expect(await connect({})).toBe('HTTP 401')
  })
})

describe('@fastify/websocket: the handshake goes through the plugin and the route guards', () => {
  /** Connects and reports the first message, or the refused handshake's status, media type and body. */
  const connect = (url: string, headers: Record<string, string>) =>
    new Promise<string>((resolve) => {
      const socket = new WebSocket(url, { headers })
      socket.on('message', (data) => {
        resolve(String(data))
        socket.close()
      })
      socket.on('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve(`HTTP ${res.statusCode} ${res.headers['content-type']?.split(';')[0]} ${(JSON.parse(body) as { code: string }).code}`))
      })
      socket.on('error', () => undefined)
    })

  it('a valid assertion connects and the handler sees the identity; a missing, forged or insufficient one gets an HTTP problem on the handshake', async () => {
    const app = Fastify()
    await app.register(fastifyWebsocket)
    await app.register(trustedProxyAuth(settings()))
    app.get('/live', { websocket: true }, (socket, request) => {
      socket.send(`hello ${getIdentity(request).subject}`)
    })
    app.get('/admins', { websocket: true, config: { trustedProxyRequirements: { groups: { any: ['admins'] } } } }, (socket, request) => {
      socket.send(`admin ${request.user?.subject}`)
    })
    const url = (await start(app)).replace('http:', 'ws:')
    const alice = { 'x-test-assertion': await issuer.sign({ sub: 'ws-user', groups: ['admins'] }) }
    const bob = { 'x-test-assertion': await issuer.sign({ sub: 'ws-bob', groups: ['staff'] }) }
    expect(await connect(`${url}/live`, alice)).toBe('hello ws-user')
    expect(await connect(`${url}/admins`, alice)).toBe('admin ws-user')
    expect(await connect(`${url}/live`, {})).toBe('HTTP 401 application/problem+json missing_assertion')
    expect(await connect(`${url}/live`, { 'x-test-assertion': 'garbage' })).toBe('HTTP 401 application/problem+json malformed_assertion')
    const otherIssuer = await startTestIssuer()
    const forged = await otherIssuer.sign({ sub: 'ws-user' })
    await otherIssuer.close()
    expect(await connect(`${url}/live`, { 'x-test-assertion': forged })).toMatch(/^HTTP 401 application\/problem\+json /)
    expect(await connect(`${url}/admins`, bob)).toBe('HTTP 403 application/problem+json forbidden_user')
  })
})

describe('a request accepted at once', () => {
  const fakeRequest = (token: string): FastifyRequest =>
    ({ routeOptions: { config: {} }, url: '/whoami', raw: { rawHeaders: ['X-Test-Assertion', token] }, ip: '127.0.0.1' }) as unknown as FastifyRequest

  it('goes on through done within the hook call and makes no promise (keys loaded, or a cache hit); what waits returns a promise instead of calling done', async () => {
    // A configuration of its own: not a verifier shared with earlier tests, so its keys are not loaded yet.
    const auth = trustedProxyAuth(settings({ clockTolerance: 7 }))
    const token = await issuer.sign()
    let doneCalls = 0
    const done = (): void => {
      doneCalls++
    }
    // The first request waits for the key set: Fastify goes on when the promise settles, so done is not called.
    const waiting = auth(fakeRequest(token), {} as FastifyReply, done)
    expect(waiting).toBeInstanceOf(Promise)
    await waiting
    expect(doneCalls).toBe(0)
    const request = fakeRequest(token)
    expect(auth(request, {} as FastifyReply, done)).toBeUndefined()
    expect(doneCalls).toBe(1)
    expect(request.trustedIdentity?.subject).toBe('test-user')
    expect(request.user).toBe(request.trustedIdentity)
    // Called as a plain function without done (e.g. from another hook), it answers with a promise.
    await expect(auth(fakeRequest(token), {} as FastifyReply)).resolves.toBeUndefined()
    expect(doneCalls).toBe(1)
    auth.verifier.close()
  })
})
