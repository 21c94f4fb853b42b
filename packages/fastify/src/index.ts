/**
 * `@mieweb/trusted-proxy-auth-fastify`: Fastify plugin (and route-level `onRequest` hook) that verifies
 * the signed identity assertion an identity-aware proxy forwards and exposes `request.user`.
 * @module
 */
import './user-type.js'
import { fastifyTrustedProxyAuth } from './plugin.js'

export { fastifyTrustedProxyAuth, trustedProxyAuth } from './plugin.js'
export type { FastifyTrustedProxyAuthOptions, TrustedProxyAuthPlugin } from './plugin.js'
export type { TrustedProxyAuthRegister, TrustedProxyClaims, TrustedProxyIdentity, TrustedProxyUser } from './user-type.js'
export { getIdentity, getUser } from './identity-access.js'
export type { VerifierSource } from '@mieweb/trusted-proxy-auth'
export { requireIdentity } from './require-identity.js'
export type { TrustedProxyRequirementHook } from './require-identity.js'
export type { RequirementCheckResult, RouteRequirements } from '@mieweb/trusted-proxy-auth'
export { authenticateUpgrade } from '@mieweb/trusted-proxy-auth'
export type { UpgradeAuthentication } from '@mieweb/trusted-proxy-auth'
export { TrustedProxyAuthError, isTrustedProxyAuthError, toProblemDetails } from '@mieweb/trusted-proxy-auth'
export type { TrustedIdentity, TrustedProxyAuthOptions, Verifier } from '@mieweb/trusted-proxy-auth'
export default fastifyTrustedProxyAuth
