import type { RouteRequirements, TrustedIdentity } from '@mieweb/trusted-proxy-auth'

/**
 * Augment this interface to give `request.user` the type your `resolveUser` returns, and the identity's
 * `claims` the application's own claims (typed, not validated: see TrustedIdentity):
 *
 * ```ts
 * declare module '@mieweb/trusted-proxy-auth-fastify' {
 *   interface TrustedProxyAuthRegister { user: AppUser; claims: { tenant: string } }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the application through declaration merging
export interface TrustedProxyAuthRegister {}

/** What `request.user` holds: the registered application user, else the verified identity. */
export type TrustedProxyUser = TrustedProxyAuthRegister extends { user: infer User } ? User : TrustedProxyIdentity

/** The claims the application registered (`interface TrustedProxyAuthRegister { claims: AppClaims }`), else any claim. */
export type TrustedProxyClaims = TrustedProxyAuthRegister extends { claims: infer Claims extends object } ? Claims : Record<string, unknown>

/** The identity this adapter exposes: TrustedIdentity with the registered claims. */
export type TrustedProxyIdentity = TrustedIdentity<TrustedProxyClaims>

declare module 'fastify' {
  interface FastifyRequest {
    /** The application user: `resolveUser(identity)` when given, else the identity; null when unauthenticated. */
    user: TrustedProxyUser | null
    /** The verified identity; null in mode `optional` without an assertion and on routes that opted out. */
    trustedIdentity: TrustedProxyIdentity | null
  }
  interface FastifyContextConfig {
    /** `false` skips authentication for this route (health checks). */
    trustedProxyAuth?: boolean
    /**
     * Per-route requirements (contract/requirements.json), checked in a `preHandler` that runs before the
     * route's own: the same guard as `requireIdentity(requirements)`. Validated when the route is added.
     */
    trustedProxyRequirements?: RouteRequirements<FastifyRequest, TrustedProxyIdentity>
  }
}
