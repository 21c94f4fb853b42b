import { createServer, type Server } from 'node:http'
import { connect as connectTcp } from 'node:net'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { createVerifier, loadConfig, rejectUpgrade, verifyNodeRequest, type Verifier } from '../src/index.js'

let jwksServer: Server
let appServer: Server
let verifier: Verifier
let privateKey: CryptoKey
let appUrl: string

const sign = (): Promise<string> =>
  new SignJWT({ sub: 'ws-user' })
    .setProtectedHeader({ alg: 'ES256', kid: 'ws' })
    .setIssuer('https://proxy.example')
    .setAudience('app')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey)

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true })
  privateKey = pair.privateKey
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'ws', alg: 'ES256' }
  jwksServer = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })))
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
  verifier = createVerifier(
    loadConfig({
      TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion',
      TRUSTED_PROXY_JWKS_URL: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`,
      TRUSTED_PROXY_ISSUER: 'https://proxy.example',
      TRUSTED_PROXY_AUDIENCE: 'app',
    }),
  )
  const wss = new WebSocketServer({ noServer: true })
  appServer = createServer(async (req, res) => {
    try {
      const identity = await verifyNodeRequest(verifier, req)
      res.end(JSON.stringify(identity))
    } catch {
      res.statusCode = 401
      res.end()
    }
  })
  appServer.on('upgrade', (req, socket, head) => {
    verifyNodeRequest(verifier, req).then(
      (identity) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(`hello ${identity?.subject}`)),
      (error: unknown) => rejectUpgrade(socket, error),
    )
  })
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve))
  appUrl = `127.0.0.1:${(appServer.address() as AddressInfo).port}`
})

afterAll(async () => {
  verifier.close()
  await new Promise((resolve) => appServer.close(resolve))
  await new Promise((resolve) => jwksServer.close(resolve))
})

function connect(headers: Record<string, string>): Promise<{ message?: string; status?: number; body?: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://${appUrl}/live`, { headers })
    socket.on('message', (data) => {
      resolve({ message: String(data) })
      socket.close()
    })
    socket.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode, body }))
    })
    socket.on('error', () => undefined)
  })
}

describe('WebSocket upgrades', () => {
  it('accept a verified upgrade', async () => {
    expect(await connect({ 'x-assertion': await sign() })).toEqual({ message: 'hello ws-user' })
  })

  it('refuse an unverified upgrade with an HTTP 401 problem instead of accepting and closing', async () => {
    const token = await sign()
    const result = await connect({ 'x-assertion': `${token}x` })
    expect(result.status).toBe(401)
    expect(JSON.parse(result.body ?? '{}')).toMatchObject({ code: 'malformed_assertion', status: 401 })
    expect(result.body).not.toContain(token.split('.')[1])
  })
})

function rawGet(headerLines: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const [host, port] = appUrl.split(':')
    const socket = connectTcp(Number(port), host!, () => {
      socket.write(['GET / HTTP/1.1', `Host: ${appUrl}`, 'Connection: close', ...headerLines, '', ''].join('\r\n'))
    })
    let response = ''
    socket.on('data', (chunk) => (response += chunk))
    socket.on('end', () => resolve(Number(response.split(' ')[1])))
    socket.on('error', reject)
  })
}

describe('verifyNodeRequest', () => {
  it('sees a second copy of the assertion header that req.headers would hide', async () => {
    const token = await sign()
    expect(await rawGet([`X-Assertion: ${token}`])).toBe(200)
    expect(await rawGet([`X-Assertion: ${token}`, `x-assertion: ${token}`])).toBe(401)
  })
})
