import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'

/**
 * Augment this interface to give `c.var.user` the type your `resolveUser` returns, and the identity's
 * `claims` the application's own claims (typed, not validated: see TrustedIdentity):
 *
 * ```ts
 * declare module '@mieweb/trusted-proxy-auth-hono' {
 *   interface TrustedProxyAuthRegister { user: AppUser; claims: { tenant: string } }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the application through declaration merging
export interface TrustedProxyAuthRegister {}

/** What `c.var.user` holds: the registered application user, else the verified identity. */
export type TrustedProxyUser = TrustedProxyAuthRegister extends { user: infer User } ? User : TrustedProxyIdentity

/** The claims the application registered (`interface TrustedProxyAuthRegister { claims: AppClaims }`), else any claim. */
export type TrustedProxyClaims = TrustedProxyAuthRegister extends { claims: infer Claims extends object } ? Claims : Record<string, unknown>

/** The identity this adapter exposes: TrustedIdentity with the registered claims. */
export type TrustedProxyIdentity = TrustedIdentity<TrustedProxyClaims>

/**
 * The context variables the middleware sets: `new Hono<{ Variables: TrustedProxyAuthVariables }>()`.
 * Used as route middleware (`app.get('/me', trustedProxyAuth(), (c) => …)`) Hono infers them by itself.
 */
export type TrustedProxyAuthVariables = {
  /** The application user: `resolveUser(identity)` when given, else the identity; null when unauthenticated (mode `optional`). */
  user: TrustedProxyUser | null
  /** The verified identity; null in mode `optional` when no assertion was sent. */
  trustedIdentity: TrustedProxyIdentity | null
}

/**
 * The variables after a `requireIdentity(...)` guard: both are set, so Hono types them non-null in the
 * handlers that follow it on the same route.
 */
export type TrustedProxyAuthenticatedVariables = {
  user: TrustedProxyUser
  trustedIdentity: TrustedProxyIdentity
}

declare module 'hono' {
  // `user` is left out on purpose: it is a common name other middleware types differently.
  interface ContextVariableMap {
    trustedIdentity: TrustedProxyIdentity | null
  }
}
