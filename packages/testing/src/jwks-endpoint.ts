import type { JsonWebKeySet, TestIssuer } from './test-issuer.js'

/**
 * How the JWKS endpoint answers one request.
 * - `ok`: 200 with the issuer's key set (and the configured Cache-Control)
 * - `500`, `503`, `404`: that status with a short text body
 * - `html`: 200 with `Content-Type: text/html` and an HTML error page, as a captive portal or a
 *   misrouted load balancer sends
 * - `invalid-json`: 200 with `Content-Type: application/json` and a truncated JSON body
 * - `timeout`: no response at all until the client aborts (or `reset()`/`close()` ends it)
 * - `redirect`: 302 to the same URL with `?redirected=1` (a verifier must not follow it)
 */
export type JwksResponseKind = 'ok' | '500' | '503' | '404' | 'html' | 'invalid-json' | 'timeout' | 'redirect'

export const JWKS_RESPONSE_KINDS: readonly JwksResponseKind[] = ['ok', '500', '503', '404', 'html', 'invalid-json', 'timeout', 'redirect']

export interface JwksEndpointOptions {
  /** Milliseconds before every answer (uses the global setTimeout, so fake timers control it). Default 0. */
  latencyMs?: number
  /** `Cache-Control` of `ok` answers. Default: none. */
  cacheControl?: string
  /** Answers for the next JWKS requests, consumed in order; afterwards every request gets `ok`. */
  failures?: readonly JwksResponseKind[]
  /** `Content-Type` of `ok` answers. Default `application/json`. */
  contentType?: string
  /** Turns the issuer's key set into the body of `ok` answers, e.g. to add bad members. Called per request. */
  transformJwks?: (jwks: JsonWebKeySet) => unknown
}

export interface JwksRequestRecord {
  /** `Date.now()` when the request arrived. */
  readonly at: number
  readonly method: string
  readonly url: string
  /** Request headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  readonly outcome: JwksResponseKind
}

/** Live view of the JWKS requests received (OpenID discovery requests are counted apart). */
export interface JwksRequestLog {
  readonly count: number
  readonly log: readonly JwksRequestRecord[]
  readonly discoveryCount: number
}

export interface JwksEndpointControl {
  readonly requests: JwksRequestLog
  /** Replaces the queue of upcoming answers. */
  setFailures(failures: readonly JwksResponseKind[]): void
  setLatency(latencyMs: number): void
  setCacheControl(cacheControl: string | undefined): void
  /** Back to the options first given: clears the counts and the log, refills the failure queue, ends hung requests. */
  reset(): void
}

export type PlannedResponse =
  | { readonly hang: true }
  | { readonly hang: false; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }

export interface JwksEndpoint extends JwksEndpointControl {
  readonly latencyMs: number
  answerJwks(request: { method: string; url: string; headers: Readonly<Record<string, string>> }): PlannedResponse
  answerDiscovery(jwksUri: string): PlannedResponse
  /** Registers a hung request; `reset()` calls `release`. Returns the function that unregisters it. */
  holdOpen(release: () => void): () => void
}

const HTML_ERROR_PAGE = '<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>'

function assertKinds(failures: readonly JwksResponseKind[]): void {
  for (const kind of failures) {
    if (!JWKS_RESPONSE_KINDS.includes(kind)) throw new TypeError(`unknown JWKS response kind ${JSON.stringify(kind)}; use one of ${JWKS_RESPONSE_KINDS.join(', ')}`)
  }
}

function assertLatency(latencyMs: number): void {
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new TypeError('latencyMs must be a finite number >= 0')
}

function redirectTarget(url: string): string {
  const target = new URL(url)
  target.searchParams.set('redirected', '1')
  return target.href
}

/** The transport-free behaviour shared by the msw handlers and the loopback server. */
export function createJwksEndpoint(issuer: TestIssuer, options: JwksEndpointOptions = {}): JwksEndpoint {
  assertKinds(options.failures ?? [])
  assertLatency(options.latencyMs ?? 0)
  let queue: JwksResponseKind[] = []
  let latencyMs = 0
  let cacheControl: string | undefined
  let log: JwksRequestRecord[] = []
  let discoveryCount = 0
  const hung = new Set<() => void>()

  function restoreOptions(): void {
    queue = [...(options.failures ?? [])]
    latencyMs = options.latencyMs ?? 0
    cacheControl = options.cacheControl
  }
  restoreOptions()

  const requests: JwksRequestLog = {
    get count() {
      return log.length
    },
    get log() {
      return [...log]
    },
    get discoveryCount() {
      return discoveryCount
    },
  }

  function respond(outcome: JwksResponseKind, url: string): PlannedResponse {
    switch (outcome) {
      case 'ok': {
        const body = options.transformJwks ? options.transformJwks(issuer.jwks()) : issuer.jwks()
        const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' }
        if (cacheControl !== undefined) headers['cache-control'] = cacheControl
        return { hang: false, status: 200, headers, body: JSON.stringify(body) }
      }
      case '500':
      case '503':
      case '404':
        return { hang: false, status: Number(outcome), headers: { 'content-type': 'text/plain' }, body: `test JWKS endpoint answered ${outcome}` }
      case 'html':
        return { hang: false, status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: HTML_ERROR_PAGE }
      case 'invalid-json':
        return { hang: false, status: 200, headers: { 'content-type': 'application/json' }, body: '{"keys":[{"kty":' }
      case 'redirect':
        return { hang: false, status: 302, headers: { location: redirectTarget(url), 'content-type': 'text/plain' }, body: '' }
      case 'timeout':
        return { hang: true }
    }
  }

  return {
    requests,
    get latencyMs() {
      return latencyMs
    },
    setFailures(failures) {
      assertKinds(failures)
      queue = [...failures]
    },
    setLatency(value) {
      assertLatency(value)
      latencyMs = value
    },
    setCacheControl(value) {
      cacheControl = value
    },
    reset() {
      restoreOptions()
      log = []
      discoveryCount = 0
      for (const release of [...hung]) release()
      hung.clear()
    },
    answerJwks(request) {
      const outcome = queue.shift() ?? 'ok'
      log.push(Object.freeze({ at: Date.now(), method: request.method, url: request.url, headers: { ...request.headers }, outcome }))
      return respond(outcome, request.url)
    },
    answerDiscovery(jwksUri) {
      discoveryCount += 1
      return { hang: false, status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(issuer.openIdConfiguration(jwksUri)) }
    },
    holdOpen(release) {
      hung.add(release)
      return () => hung.delete(release)
    },
  }
}

/** Resolves after `ms` milliseconds, or early (with false) when `signal` aborts. */
export function waitUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false)
  if (ms <= 0) return Promise.resolve(true)
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
