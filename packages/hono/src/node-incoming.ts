import type { Context } from 'hono'
import type { HeadersInput } from '@mieweb/trusted-proxy-auth'

/** The part of `@hono/node-server`'s bindings read here (the Node `IncomingMessage`). */
export interface NodeServerBindings {
  server?: NodeServerBindings
  incoming?: { socket?: { remoteAddress?: string }; rawHeaders?: unknown }
}

/** The Node request `@hono/node-server` puts in `c.env`, read by property access only (undefined elsewhere). */
export function nodeIncoming(c: Context): NodeServerBindings['incoming'] {
  const bindings = c.env as NodeServerBindings | undefined
  return (bindings?.server ?? bindings)?.incoming
}

/**
 * The request's headers for the verifier. On `@hono/node-server`: Node's flat `incoming.rawHeaders` list, read in
 * place (the header pairs exactly as received, as the Node adapters read them, each repetition kept apart), and no
 * fetch `Headers` built on every request only to be read once (`c.req.raw.headers` is built lazily there,
 * validating every name and value: a large share of a cached verification's cost). Elsewhere: the fetch
 * request's `Headers`.
 */
export function requestHeaders(c: Context): HeadersInput {
  const rawHeaders = nodeIncoming(c)?.rawHeaders
  return Array.isArray(rawHeaders) ? (rawHeaders as string[]) : c.req.raw.headers
}
