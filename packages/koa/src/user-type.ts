import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'

/**
 * Augment this interface to give `ctx.state.user` the type your `resolveUser` returns, and the identity's
 * `claims` the application's own claims (typed, not validated: see TrustedIdentity):
 *
 * ```ts
 * declare module '@mieweb/trusted-proxy-auth-koa' {
 *   interface TrustedProxyAuthRegister { user: AppUser; claims: { tenant: string } }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the application through declaration merging
export interface TrustedProxyAuthRegister {}

/** What `ctx.state.user` holds: the registered application user, else the verified identity. */
export type TrustedProxyUser = TrustedProxyAuthRegister extends { user: infer User } ? User : TrustedProxyIdentity

/** The claims the application registered (`interface TrustedProxyAuthRegister { claims: AppClaims }`), else any claim. */
export type TrustedProxyClaims = TrustedProxyAuthRegister extends { claims: infer Claims extends object } ? Claims : Record<string, unknown>

/** The identity this adapter exposes: TrustedIdentity with the registered claims. */
export type TrustedProxyIdentity = TrustedIdentity<TrustedProxyClaims>

/** The state the middleware sets: `new Koa<TrustedProxyAuthState>()` or `Router<TrustedProxyAuthState>`. */
export interface TrustedProxyAuthState {
  /** The application user: `resolveUser(identity)` when given, else the identity; absent when unauthenticated. */
  user?: TrustedProxyUser
  /** The verified identity; null in mode `optional` when no assertion was sent, absent on routes that opted out. */
  trustedIdentity?: TrustedProxyIdentity | null
}

declare module 'koa' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges the members into Koa's default state
  interface DefaultState extends TrustedProxyAuthState {}
}
