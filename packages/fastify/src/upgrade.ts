import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { rawHeaderPairs, rejectUpgrade, type TrustedIdentity, type Verifier } from '@mieweb/trusted-proxy-auth'

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
    const identity = await verifier.verifyRequest({ headers: rawHeaderPairs(req), remoteAddress })
    return { authenticated: true, identity }
  } catch (error) {
    rejectUpgrade(socket, error)
    return { authenticated: false, error }
  }
}
