/**
 * `@mieweb/trusted-proxy-auth-express`: Express middleware that verifies the signed identity assertion
 * an identity-aware proxy forwards and exposes `req.user` / `req.trustedIdentity`.
 * @module
 */
import './user-type.js'

export { trustedProxyAuth } from './middleware.js'
export type { ExpressTrustedProxyAuthOptions, TrustedProxyAuthMiddleware } from './middleware.js'
export type { TrustedProxyAuthRegister, TrustedProxyClaims, TrustedProxyIdentity, TrustedProxyUser } from './user-type.js'
export { getIdentity, getUser } from './identity-access.js'
export type { VerifierSource } from '@mieweb/trusted-proxy-auth'
export { requireIdentity } from './require-identity.js'
export type { RequirementCheckResult, RouteRequirements } from '@mieweb/trusted-proxy-auth'
export { authenticateUpgrade } from '@mieweb/trusted-proxy-auth'
export type { UpgradeAuthentication } from '@mieweb/trusted-proxy-auth'
export { TrustedProxyAuthError, isTrustedProxyAuthError, toProblemDetails } from '@mieweb/trusted-proxy-auth'
export type { TrustedIdentity, TrustedProxyAuthOptions, Verifier } from '@mieweb/trusted-proxy-auth'
