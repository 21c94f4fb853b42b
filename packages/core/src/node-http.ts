import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { toProblemDetails, type ProblemOptions } from './problem-details.js'
import type { TrustedIdentity } from './identity.js'
import type { Verifier, VerifyOptions } from './verifier.js'
import { verifyRequestNow } from './verify-request-now.js'

/**
 * Header pairs exactly as received. Node's `req.headers` joins repeated custom headers with ", " and
 * keeps only the first `Authorization`, which would hide a second, attacker-supplied assertion.
 */
export function rawHeaderPairs(req: Pick<IncomingMessage, 'rawHeaders'>): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!])
  return pairs
}

/** Verifies a Node request (HTTP or a WebSocket `upgrade`) with the socket peer as the source address. */
export function verifyNodeRequest(verifier: Verifier, req: IncomingMessage, options?: VerifyOptions): Promise<TrustedIdentity | null> {
  // Node's flat rawHeaders list, read in place (every repetition kept apart). Through verifyRequestNow, which holds
  // a verifier of one's own to the verdict's shape.
  const verdict = verifyRequestNow(verifier, { headers: req.rawHeaders, remoteAddress: req.socket.remoteAddress ?? null }, options)
  return verdict instanceof Promise ? verdict : Promise.resolve(verdict)
}

/**
 * Answers a refused WebSocket upgrade with a real HTTP status and problem body, then closes the socket,
 * so clients see 401/403/503 instead of an accepted connection closed with 1008.
 */
export function rejectUpgrade(socket: Duplex, error: unknown, options: ProblemOptions = {}): void {
  const problem = toProblemDetails(error, undefined, options)
  const body = JSON.stringify(problem.body)
  const reason = problem.status === 403 ? 'Forbidden' : problem.status === 503 ? 'Service Unavailable' : problem.status === 401 ? 'Unauthorized' : 'Internal Server Error'
  const headers = { ...problem.headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }
  const head = [`HTTP/1.1 ${problem.status} ${reason}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n')
  socket.end(`${head}\r\n\r\n${body}`)
}

export type UpgradeAuthentication =
  | { authenticated: true; identity: TrustedIdentity | null }
  /** `error` is a TrustedProxyAuthError for every refusal the contract defines (anything else was answered 500). */
  | { authenticated: false; error: unknown }

/**
 * Verifies a WebSocket `upgrade` request before it is accepted. On failure the socket has already been
 * answered with the HTTP status and problem body (401/403/503) and closed, so clients see a refused
 * handshake rather than an accepted connection closed with 1008.
 *
 * ```ts
 * server.on('upgrade', async (req, socket, head) => {
 *   const result = await authenticateUpgrade(auth.verifier, req, socket)
 *   if (result.authenticated) wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req, result.identity))
 * })
 * ```
 *
 * `remoteAddress` defaults to the socket peer; pass the address your proxy setup vouches for otherwise.
 */
export async function authenticateUpgrade(
  verifier: Verifier,
  req: IncomingMessage,
  socket: Duplex,
  options: { remoteAddress?: string | null } = {},
): Promise<UpgradeAuthentication> {
  const remoteAddress = 'remoteAddress' in options ? options.remoteAddress : (req.socket.remoteAddress ?? null)
  try {
    // verifyRequestNow: a verifier of one's own answering anything but an identity or null is refused, not accepted.
    const identity = await verifyRequestNow(verifier, { headers: req.rawHeaders, remoteAddress })
    return { authenticated: true, identity }
  } catch (error) {
    rejectUpgrade(socket, error, { problemDetail: verifier.config.problemDetail })
    return { authenticated: false, error }
  }
}
