import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'

/**
 * Augment this interface to give `request.user` the type your `resolveUser` returns:
 *
 * ```ts
 * declare module '@mieweb/trusted-proxy-auth-fastify' {
 *   interface TrustedProxyAuthRegister { user: AppUser }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the application through declaration merging
export interface TrustedProxyAuthRegister {}

/** What `request.user` holds: the registered application user, else the verified identity. */
export type TrustedProxyUser = TrustedProxyAuthRegister extends { user: infer User } ? User : TrustedIdentity

declare module 'fastify' {
  interface FastifyRequest {
    /** The application user: `resolveUser(identity)` when given, else the identity; null when unauthenticated. */
    user: TrustedProxyUser | null
    /** The verified identity; null in mode `optional` without an assertion and on routes that opted out. */
    trustedIdentity: TrustedIdentity | null
  }
  interface FastifyContextConfig {
    /** `false` skips authentication for this route (health checks). */
    trustedProxyAuth?: boolean
  }
}
