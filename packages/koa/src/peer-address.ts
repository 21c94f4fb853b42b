import type { Context } from 'koa'

/**
 * The address the request came from: Koa's `ctx.request.ip` only when the app set `app.proxy` (then
 * Koa decides which forwarded hop to believe, see `app.maxIpsCount`), else the socket peer.
 * Forwarding headers are never read by this package.
 */
export function peerAddress(ctx: Context): string | null {
  if (ctx.app.proxy) return ctx.request.ip || null
  return ctx.req.socket.remoteAddress ?? null
}
