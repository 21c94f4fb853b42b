/** Why a key (or discovery) request gave nothing usable; the message is logged, so it names no key material. */
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
  readonly timeoutMs: number
  /** Largest accepted body, in characters of the decoded text. */
  readonly maxLength: number
  readonly accept: string
}

export interface KeyResponse {
  readonly text: string
  readonly headers: Headers
}

/**
 * One GET for key material: redirects are never followed (a 3xx is a failure), the time-out covers the
 * whole exchange, anything but 200 fails, and so does a body over `maxLength`. Throws FetchFailure.
 */
export async function fetchKeyDocument(request: KeyRequest): Promise<KeyResponse> {
  let response: Response
  try {
    response = await request.fetch(request.url, {
      redirect: 'manual',
      headers: { accept: request.accept },
      signal: AbortSignal.timeout(request.timeoutMs),
    })
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
    throw new FetchFailure(timedOut ? 'timed out' : 'request failed')
  }
  if (response.status !== 200) {
    // Not awaited: some fetch implementations never settle cancel() on an unread body.
    void response.body?.cancel().catch(() => undefined)
    throw new FetchFailure(`HTTP status ${response.status}`, response.status)
  }
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await response.arrayBuffer())
  } catch {
    throw new FetchFailure('body could not be read')
  }
  // The contract's limits are in bytes, as received (not decoded characters).
  if (bytes.byteLength > request.maxLength) throw new FetchFailure('body too large')
  const text = new TextDecoder().decode(bytes)
  return { text, headers: response.headers }
}

/** Cache-Control max-age honoured between the cooldown (at least 1 s) and the configured TTL. */
export function freshnessFrom(cacheControl: string | null, cacheTtlMs: number, cooldownMs: number): number {
  const match = cacheControl ? /(?:^|,)\s*max-age\s*=\s*(\d+)/i.exec(cacheControl) : null
  if (!match) return cacheTtlMs
  const maxAgeMs = Number(match[1]) * 1000
  return Math.min(cacheTtlMs, Math.max(maxAgeMs, cooldownMs, 1000))
}
