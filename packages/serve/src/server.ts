import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isTrustedProxyAuthError, toProblemDetails, verifyNodeRequest, type TrustedIdentity, type TrustedProxyAuthConfig, type Verifier } from '@mieweb/trusted-proxy-auth'
import type { Logger } from 'pino'
import { identityHeaders } from './identity-headers.js'
import type { ServeMetrics } from './metrics.js'

export interface EdgeServerOptions {
  verifier: Verifier
  config: TrustedProxyAuthConfig
  metrics: ServeMetrics
  logger: Logger
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' }

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...JSON_HEADERS, ...headers })
  response.end(JSON.stringify(body))
}

/** `/verify` and `/verify/...`: Envoy ext_authz (HTTP) appends the original path to its `path_prefix`. */
function isVerifyPath(path: string): boolean {
  return path === '/verify' || path.startsWith('/verify/')
}

/**
 * A forward-auth check carries no body (nginx auth_request, Traefik forwardAuth and Caddy forward_auth send
 * none; Envoy's ext_authz sends one only with `with_request_body`). Every answer here is decided on the headers,
 * so a request with a body gets `Connection: close`: the unread body is then never drained (RFC 9112 section 9.6).
 */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/'
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

async function answerVerify(
  request: IncomingMessage,
  response: ServerResponse,
  options: EdgeServerOptions,
  headersFor: (identity: TrustedIdentity) => Record<string, string>,
): Promise<void> {
  const started = process.hrtime.bigint()
  const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9
  try {
    // The socket peer is the proxy: TRUSTED_PROXY_TRUSTED_ADDRESSES lists the proxies allowed to ask. A repeated
    // assertion is answered from the verifier's own cache (TRUSTED_PROXY_CACHE_SIZE) after every request rule ran.
    const identity = await verifyNodeRequest(options.verifier, request)
    response.writeHead(200, identity ? headersFor(identity) : { 'cache-control': 'no-store' })
    response.end()
    options.metrics.observeVerification(identity ? 'ok' : 'anonymous', elapsed())
  } catch (error) {
    const problem = toProblemDetails(error, undefined, { problemDetail: options.verifier.config.problemDetail })
    response.writeHead(problem.status, problem.headers)
    response.end(JSON.stringify(problem.body))
    const outcome = isTrustedProxyAuthError(error) ? error.code : 'internal_error'
    options.metrics.observeVerification(outcome, elapsed())
    // The code and the peer only: never a header value, so never the assertion.
    if (isTrustedProxyAuthError(error)) options.logger.info({ code: error.code, status: problem.status, peer: request.socket.remoteAddress }, 'verification refused')
    else options.logger.error({ peer: request.socket.remoteAddress }, 'verification failed unexpectedly')
  }
}

/**
 * The edge verifier's HTTP server: `/verify` (any method) answers 200 with the identity headers or the
 * contract's status with a problem+json body; `/healthz` says the process is up, `/readyz` that keys are
 * loaded, `/metrics` is Prometheus text.
 */
export function createEdgeServer(options: EdgeServerOptions): Server {
  // A remembered identity is the same object on every hit, so its encoded headers are computed once.
  const encoded = new WeakMap<TrustedIdentity, Record<string, string>>()
  const headersFor = (identity: TrustedIdentity): Record<string, string> => {
    let headers = encoded.get(identity)
    if (!headers) {
      headers = { 'cache-control': 'no-store', ...identityHeaders(identity, options.config) }
      encoded.set(identity, headers)
    }
    return headers
  }
  return createServer((request, response) => {
    if (hasBody(request)) response.setHeader('connection', 'close')
    const path = pathOf(request)
    if (isVerifyPath(path)) {
      void answerVerify(request, response, options, headersFor)
      return
    }
    if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' })
      return
    }
    if (path === '/readyz') {
      const status = options.verifier.status()
      const ready = status.state === 'ready' || status.state === 'stale'
      sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', keys: status.state, keyCount: status.keyCount })
      return
    }
    if (path === '/metrics') {
      options.metrics.registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { 'content-type': options.metrics.registry.contentType, 'cache-control': 'no-store' })
          response.end(text)
        })
        .catch(() => sendJson(response, 500, { status: 'metrics unavailable' }))
      return
    }
    sendJson(response, 404, { status: 'not found', paths: ['/verify', '/healthz', '/readyz', '/metrics'] })
  })
}
