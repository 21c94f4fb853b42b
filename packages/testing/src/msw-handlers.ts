import { http, HttpResponse, type HttpHandler } from 'msw'
import { createJwksEndpoint, waitUnlessAborted, type JwksEndpoint, type JwksEndpointControl, type JwksEndpointOptions, type JwksRequestLog, type PlannedResponse } from './jwks-endpoint.js'
import type { TestIssuer } from './test-issuer.js'

export interface JwksHandlersOptions extends JwksEndpointOptions {
  /** JWKS URL to intercept. Default: `issuer.jwksUrl`. */
  url?: string
  /** Also answer OpenID discovery: `true` at `issuer.discoveryUrl`, or at the URL given. Default false. */
  discovery?: boolean | string
}

export interface JwksMock extends JwksEndpointControl {
  /** Pass to `setupServer(...mock.handlers)` or `server.use(...mock.handlers)`. */
  readonly handlers: HttpHandler[]
  readonly requests: JwksRequestLog
  readonly url: string
  readonly discoveryUrl: string | null
}

function untilAbortedOrReleased(endpoint: JwksEndpoint, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const unregister = endpoint.holdOpen(resolve)
    signal.addEventListener(
      'abort',
      () => {
        unregister()
        resolve()
      },
      { once: true },
    )
  })
}

async function deliver(endpoint: JwksEndpoint, planned: PlannedResponse, signal: AbortSignal): Promise<Response> {
  if (!(await waitUnlessAborted(endpoint.latencyMs, signal))) return HttpResponse.error()
  if (planned.hang) {
    await untilAbortedOrReleased(endpoint, signal)
    return HttpResponse.error()
  }
  return new HttpResponse(planned.body, { status: planned.status, headers: planned.headers })
}

/**
 * msw 2 request handlers that publish `issuer`'s key set, with latency, failure sequences,
 * Cache-Control and request counting. Key changes (`rotate`, `revoke`) show on the next request.
 */
export function jwksHandlers(issuer: TestIssuer, options: JwksHandlersOptions = {}): JwksMock {
  const endpoint = createJwksEndpoint(issuer, options)
  const url = options.url ?? issuer.jwksUrl
  const discoveryUrl = options.discovery === true ? issuer.discoveryUrl : typeof options.discovery === 'string' ? options.discovery : null

  const handlers: HttpHandler[] = [
    http.get(url, ({ request }) => {
      const planned = endpoint.answerJwks({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers) })
      return deliver(endpoint, planned, request.signal)
    }),
  ]
  if (discoveryUrl !== null) {
    handlers.push(http.get(discoveryUrl, ({ request }) => deliver(endpoint, endpoint.answerDiscovery(url), request.signal)))
  }

  return {
    handlers,
    url,
    discoveryUrl,
    requests: endpoint.requests,
    setFailures: endpoint.setFailures,
    setLatency: endpoint.setLatency,
    setCacheControl: endpoint.setCacheControl,
    reset: endpoint.reset,
  }
}
