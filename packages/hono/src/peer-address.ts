import type { Context } from 'hono'
import type { GetConnInfo } from 'hono/conninfo'
import { nodeIncoming } from './node-incoming.js'

/**
 * The socket peer address. With `getConnInfo` (from `@hono/node-server/conninfo`, `hono/bun`,
 * `hono/deno`, …) that runtime decides; otherwise the `incoming` request `@hono/node-server` puts in
 * `c.env` is read by property access only, so no Node API is touched on other runtimes, where the
 * address is then unknown (and `TRUSTED_PROXY_TRUSTED_ADDRESSES` fails closed).
 */
export function peerAddress(c: Context, getConnInfo: GetConnInfo | undefined): string | null {
  if (getConnInfo) return getConnInfo(c).remote.address ?? null
  return nodeIncoming(c)?.socket?.remoteAddress ?? null
}
