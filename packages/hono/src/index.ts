/**
 * `@mieweb/trusted-proxy-auth-hono`: Hono middleware, for every runtime Hono runs on, that verifies the
 * signed identity assertion an identity-aware proxy forwards and exposes `c.var.user`.
 * @module
 */
export { trustedProxyAuth } from './middleware.js'
export type { HonoTrustedProxyAuthOptions, ProtectedHandler, TrustedProxyAuthMiddleware } from './middleware.js'
export type { TrustedProxyAuthenticatedVariables, TrustedProxyAuthRegister, TrustedProxyAuthVariables, TrustedProxyClaims, TrustedProxyIdentity, TrustedProxyUser } from './variables.js'
export { getIdentity, getUser } from './identity-access.js'
export type { VerifierSource } from '@mieweb/trusted-proxy-auth'
export { requireIdentity } from './require-identity.js'
export type { RequirementCheckResult, RouteRequirements } from '@mieweb/trusted-proxy-auth'
export { TrustedProxyAuthError, isTrustedProxyAuthError, toProblemDetails } from '@mieweb/trusted-proxy-auth'
export type { TrustedIdentity, TrustedProxyAuthOptions, Verifier } from '@mieweb/trusted-proxy-auth'
