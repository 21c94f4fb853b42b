/**
 * Why a key (or discovery) request gave nothing usable. The message is the cause in words ("connection
 * refused", "timed out after 5 s", "HTTP status 404", "response larger than 1048576 bytes", ...): it is
 * logged, put into key-fetch events and into `TrustedProxyAuthError.detail`, so it never names key material.
 */
export class FetchFailure extends Error {
  constructor(
    message: string,
    /** The HTTP status, when the answer was not 200. */
    readonly status: number | null = null,
  ) {
    super(message)
  }
}

export interface KeyRequest {
  readonly fetch: typeof fetch
  readonly url: string
  /** One deadline for the whole exchange: connect, headers and every byte of the body. */
  readonly timeoutMs: number
  /** Largest accepted body, in bytes as received. */
  readonly maxBytes: number
  readonly accept: string
}

export interface KeyResponse {
  readonly text: string
  readonly headers: Headers
}

function secondsText(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`
}

/** Network error codes (undici puts them on `cause`) in words, as Python's `_network_cause` names them; anything else is "request failed". */
function networkCause(error: unknown): string {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (code === 'ECONNREFUSED') return 'connection refused'
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection closed'
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
    current = (current as { cause?: unknown }).cause
  }
  return 'request failed'
}

/** Settles like `work`, or rejects with `timedOut` once `signal` aborts: a stalled read cannot outlive the deadline. */
function beforeDeadline<T>(work: Promise<T>, signal: AbortSignal, timedOut: () => FetchFailure): Promise<T> {
  if (signal.aborted) return Promise.reject(timedOut())
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(timedOut())
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * One GET for key material. Redirects are never followed (a 3xx is a failure); one deadline of
 * `timeoutMs` covers connect, headers and the whole body; anything but 200 fails; a `Content-Length`
 * above `maxBytes` is refused before reading, and any other body stops being read as soon as its bytes
 * pass `maxBytes` (it is never read whole first). Every way out releases the connection (the body is
 * cancelled). Throws FetchFailure.
 */
export async function fetchKeyDocument(request: KeyRequest): Promise<KeyResponse> {
  const deadline = new AbortController()
  const timedOut = (): FetchFailure => new FetchFailure(`timed out after ${secondsText(request.timeoutMs)}`)
  const timer = setTimeout(() => deadline.abort(), request.timeoutMs)
  ;(timer as { unref?: () => void }).unref?.()
  let body: ReadableStream<Uint8Array> | null = null
  try {
    let response: Response
    try {
      response = await beforeDeadline(
        request.fetch(request.url, { redirect: 'manual', headers: { accept: request.accept }, signal: deadline.signal }),
        deadline.signal,
        timedOut,
      )
    } catch (error) {
      if (error instanceof FetchFailure) throw error
      throw deadline.signal.aborted ? timedOut() : new FetchFailure(networkCause(error))
    }
    body = response.body
    if (response.status !== 200) throw new FetchFailure(`HTTP status ${response.status}`, response.status)
    const tooLarge = new FetchFailure(`response larger than ${request.maxBytes} bytes`)
    const declared = response.headers.get('content-length')
    if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > request.maxBytes) throw tooLarge
    const bytes = await readCapped(body, request.maxBytes, deadline.signal, timedOut, tooLarge)
    body = null
    return { text: new TextDecoder().decode(bytes), headers: response.headers }
  } finally {
    clearTimeout(timer)
    // Not awaited: some fetch implementations never settle cancel() on an unread body.
    if (body !== null && !body.locked) void body.cancel().catch(() => undefined)
    if (!deadline.signal.aborted) deadline.abort()
  }
}

/** The body's bytes, read chunk by chunk and counted as received; stops (cancelling the rest) once past `maxBytes`. */
async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  signal: AbortSignal,
  timedOut: () => FetchFailure,
  tooLarge: FetchFailure,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await beforeDeadline(reader.read(), signal, timedOut)
      } catch (error) {
        if (error instanceof FetchFailure) throw error
        throw signal.aborted ? timedOut() : new FetchFailure('connection closed')
      }
      if (chunk.done) break
      total += chunk.value.byteLength
      if (total > maxBytes) throw tooLarge
      chunks.push(chunk.value)
    }
  } catch (error) {
    void reader.cancel().catch(() => undefined)
    throw error
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** Cache-Control max-age honoured between the cooldown (at least 1 s) and the configured TTL. */
export function freshnessFrom(cacheControl: string | null, cacheTtlMs: number, cooldownMs: number): number {
  const match = cacheControl ? /(?:^|,)\s*max-age\s*=\s*(\d+)/i.exec(cacheControl) : null
  if (!match) return cacheTtlMs
  const maxAgeMs = Number(match[1]) * 1000
  return Math.min(cacheTtlMs, Math.max(maxAgeMs, cooldownMs, 1000))
}
