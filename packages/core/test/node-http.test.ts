import { createServer, type IncomingMessage, type Server } from 'node:http'
import { connect as connectTcp } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { runInNewContext } from 'node:vm'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { authenticateUpgrade, createVerifier, loadConfig, rejectUpgrade, verifyNodeRequest, type Verifier } from '../src/index.js'

let issuer: RunningTestIssuer
let appServer: Server
let verifier: Verifier
let appUrl: string

const sign = (): Promise<string> => issuer.sign()

beforeAll(async () => {
  issuer = await startTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'ws-user' })
  verifier = createVerifier(loadConfig(envFor(issuer, { TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion' })))
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
  await issuer.close()
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

describe('a verifier of its own behind verifyNodeRequest and authenticateUpgrade', () => {
  // Both used to pass the verifier's answer on as the identity: a verifier answering no verdict let the upgrade in.
  const request = { rawHeaders: ['X-Assertion', 'a'], socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage
  const answering = (answer: () => unknown): Verifier => Object.assign(Object.create(verifier) as Verifier, { verifyRequestNow: answer })
  const otherRealmUndefined = runInNewContext('() => Promise.resolve(undefined)') as () => unknown

  it.each([
    ['undefined at once', () => undefined],
    ['a promise of another realm resolving to undefined', otherRealmUndefined],
  ])('answering %s: refused', async (_name, answer) => {
    await expect(verifyNodeRequest(answering(answer), request)).rejects.toThrow(TypeError)
    let written = ''
    const socket = { end: (text: string) => (written += text) } as unknown as Duplex
    const result = await authenticateUpgrade(answering(answer), request, socket)
    expect(result.authenticated).toBe(false)
    expect(written).toMatch(/^HTTP\/1\.1 500 /)
  })
})
