/**
 * `@mieweb/trusted-proxy-auth-koa`: Koa middleware that verifies the signed identity assertion an
 * identity-aware proxy forwards and exposes `ctx.state.user`.
 * @module
 */
import './user-type.js'

export { trustedProxyAuth } from './middleware.js'
export type { KoaTrustedProxyAuthOptions, TrustedProxyAuthMiddleware } from './middleware.js'
export type { TrustedProxyAuthRegister, TrustedProxyAuthState, TrustedProxyClaims, TrustedProxyIdentity, TrustedProxyUser } from './user-type.js'
export { getIdentity, getUser } from './identity-access.js'
export type { VerifierSource } from '@mieweb/trusted-proxy-auth'
export { requireIdentity } from './require-identity.js'
export type { RequirementCheckResult, RouteRequirements } from '@mieweb/trusted-proxy-auth'
export { authenticateUpgrade } from '@mieweb/trusted-proxy-auth'
export type { UpgradeAuthentication } from '@mieweb/trusted-proxy-auth'
export { TrustedProxyAuthError, isTrustedProxyAuthError, toProblemDetails } from '@mieweb/trusted-proxy-auth'
export type { TrustedIdentity, TrustedProxyAuthOptions, Verifier } from '@mieweb/trusted-proxy-auth'
