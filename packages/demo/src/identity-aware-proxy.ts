import { createServer, request as forward, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { ASSERTION_HEADER, DEMO_USER } from './demo-user.js'

export interface RunningProxy {
  readonly url: string
  /** Where requests are forwarded; changed when the demo restarts the app. */
  setUpstream(url: string): void
  /** Claims signed into every assertion from now on on top of the demo user's (e.g. another `iss`); `{}` resets. */
  setExtraClaims(claims: Readonly<Record<string, unknown>>): void
  close(): Promise<void>
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host'])

/**
 * A minimal identity-aware proxy: every request is "logged in" as the demo user, any assertion the
 * client sent is dropped (a real proxy must strip it, or clients could forge identities), a fresh
 * short-lived assertion is signed for the app and the request is forwarded.
 */
export async function startIdentityAwareProxy(issuer: TestIssuer, upstream: string): Promise<RunningProxy> {
  let target = new URL(upstream)
  let extraClaims: Readonly<Record<string, unknown>> = {}
  const server: Server = createServer((clientRequest, clientResponse) => {
    void (async () => {
      const headers: IncomingHttpHeaders = {}
      for (const [name, value] of Object.entries(clientRequest.headers)) {
        if (!HOP_BY_HOP.has(name) && name !== ASSERTION_HEADER.toLowerCase()) headers[name] = value
      }
      headers[ASSERTION_HEADER.toLowerCase()] = await issuer.sign({ ...DEMO_USER, ...extraClaims }, { expiresIn: 60 })
      headers['x-forwarded-proto'] = 'http'
      headers['x-forwarded-host'] = clientRequest.headers.host ?? ''
      const upstreamRequest = forward(
        { host: target.hostname, port: target.port, path: clientRequest.url, method: clientRequest.method, headers },
        (upstreamResponse) => {
          clientResponse.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers)
          upstreamResponse.pipe(clientResponse)
        },
      )
      upstreamRequest.on('error', () => {
        if (!clientResponse.headersSent) clientResponse.writeHead(502, { 'content-type': 'text/plain' })
        clientResponse.end('the app behind the proxy is not reachable\n')
      })
      clientRequest.pipe(upstreamRequest)
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setUpstream(url) {
      target = new URL(url)
    },
    setExtraClaims(claims) {
      extraClaims = claims
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
