/**
 * `@mieweb/trusted-proxy-auth-serve`: the edge verifier behind `trusted-proxy-auth serve`, for Traefik
 * ForwardAuth, nginx `auth_request`, Caddy `forward_auth` and Envoy `ext_authz` (HTTP).
 * @module
 */
export { startEdgeVerifier, runServe } from './run-serve.js'
export type { RunningEdgeVerifier, ServeOptions } from './run-serve.js'
export { createEdgeServer } from './server.js'
export type { EdgeServerOptions } from './server.js'
export { encodeHeaderValue, identityHeaders } from './identity-headers.js'
export { createServeMetrics } from './metrics.js'
export type { ServeMetrics } from './metrics.js'
export { VerifiedAssertionCache } from './verified-cache.js'
