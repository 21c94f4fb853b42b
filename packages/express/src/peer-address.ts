import type { Request } from 'express'

/**
 * The address the request came from: Express's `req.ip` only when the app configured `trust proxy`
 * (then Express itself decides which forwarded hop to believe), else the socket peer. Forwarding
 * headers are never read by this package.
 */
export function peerAddress(req: Request): string | null {
  const trustProxy: unknown = req.app.get('trust proxy')
  if (trustProxy !== undefined && trustProxy !== false) return req.ip ?? null
  return req.socket.remoteAddress ?? null
}
