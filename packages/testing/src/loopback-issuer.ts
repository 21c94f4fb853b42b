import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createJwksEndpoint, waitUnlessAborted, type JwksEndpoint, type JwksEndpointControl, type JwksEndpointOptions, type PlannedResponse } from './jwks-endpoint.js'
import { createTestIssuer, type TestIssuer, type TestIssuerOptions } from './test-issuer.js'

export const JWKS_PATH = '/.well-known/jwks.json'
export const DISCOVERY_PATH = '/.well-known/openid-configuration'

export interface StartTestIssuerOptions extends Omit<TestIssuerOptions, 'jwksUrl'>, JwksEndpointOptions {
  /** `iss` of every token. Default: the server's own URL, e.g. `http://127.0.0.1:43117`. */
  issuer?: string
}

/** A test issuer served over real HTTP on 127.0.0.1 (an ephemeral port), for tests that must not patch fetch. */
export interface RunningTestIssuer extends TestIssuer, JwksEndpointControl {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string
  /** `<url>/.well-known/jwks.json` */
  readonly jwksUrl: string
  /** `<url>/.well-known/openid-configuration` */
  readonly discoveryUrl: string
  /** Ends open (and hung) connections and stops listening. */
  close(): Promise<void>
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]])),
  )
}

function abortSignalFor(response: ServerResponse): AbortSignal {
  const controller = new AbortController()
  // 'close' before the response finished means the client went away (or close() tore the socket down).
  response.on('close', () => {
    if (!response.writableFinished) controller.abort()
  })
  return controller.signal
}

async function deliver(endpoint: JwksEndpoint, planned: PlannedResponse, response: ServerResponse, signal: AbortSignal): Promise<void> {
  if (!(await waitUnlessAborted(endpoint.latencyMs, signal))) return
  if (planned.hang) {
    if (signal.aborted) return
    const unregister = endpoint.holdOpen(() => response.destroy())
    signal.addEventListener('abort', unregister, { once: true })
    return
  }
  response.writeHead(planned.status, planned.headers)
  response.end(planned.body)
}

/**
 * Starts a node:http server on 127.0.0.1 port 0 serving the issuer's key set at `/.well-known/jwks.json`
 * and OpenID discovery at `/.well-known/openid-configuration`, with the same latency, failure sequences,
 * Cache-Control and request counting as `jwksHandlers`.
 */
export async function startTestIssuer(options: StartTestIssuerOptions = {}): Promise<RunningTestIssuer> {
  // The request listener is attached once the issuer exists: its default `iss` is the server's own URL.
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  const jwksUrl = `${url}${JWKS_PATH}`
  const discoveryUrl = `${url}${DISCOVERY_PATH}`

  let issuer: TestIssuer
  try {
    issuer = await createTestIssuer({ ...options, issuer: options.issuer ?? url, jwksUrl })
  } catch (error) {
    server.close()
    throw error
  }
  const endpoint = createJwksEndpoint(issuer, options)
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const requestUrl = new URL(request.url ?? '/', url)
    if (requestUrl.pathname !== JWKS_PATH && requestUrl.pathname !== DISCOVERY_PATH) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' }).end('method not allowed')
      return
    }
    const signal = abortSignalFor(response)
    const planned =
      requestUrl.pathname === JWKS_PATH
        ? endpoint.answerJwks({ method: request.method, url: requestUrl.href, headers: flattenHeaders(request) })
        : endpoint.answerDiscovery(jwksUrl)
    void deliver(endpoint, planned, response, signal)
  })
  let closing: Promise<void> | undefined

  return {
    url,
    jwksUrl,
    discoveryUrl,
    issuer: issuer.issuer,
    audience: issuer.audience,
    subject: issuer.subject,
    get currentKid() {
      return issuer.currentKid
    },
    get keys() {
      return issuer.keys
    },
    get algorithms() {
      return issuer.algorithms
    },
    sign: issuer.sign,
    claims: issuer.claims,
    signRaw: issuer.signRaw,
    jwks: issuer.jwks,
    openIdConfiguration: (jwksUri = jwksUrl) => issuer.openIdConfiguration(jwksUri),
    rotate: issuer.rotate,
    revoke: issuer.revoke,
    privateJwk: issuer.privateJwk,
    requests: endpoint.requests,
    setFailures: endpoint.setFailures,
    setLatency: endpoint.setLatency,
    setCacheControl: endpoint.setCacheControl,
    reset: endpoint.reset,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
      return closing
    },
  }
}
