import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'

/**
 * Augment this interface to give `req.user` the type your `resolveUser` returns, and the identity's
 * `claims` the application's own claims (typed, not validated: see TrustedIdentity):
 *
 * ```ts
 * declare module '@mieweb/trusted-proxy-auth-express' {
 *   interface TrustedProxyAuthRegister { user: AppUser; claims: { tenant: string } }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the application through declaration merging
export interface TrustedProxyAuthRegister {}

/** What `req.user` holds: the registered application user, else the verified identity. */
export type TrustedProxyUser = TrustedProxyAuthRegister extends { user: infer User } ? User : TrustedProxyIdentity

/** The claims the application registered (`interface TrustedProxyAuthRegister { claims: AppClaims }`), else any claim. */
export type TrustedProxyClaims = TrustedProxyAuthRegister extends { claims: infer Claims extends object } ? Claims : Record<string, unknown>

/** The identity this adapter exposes: TrustedIdentity with the registered claims. */
export type TrustedProxyIdentity = TrustedIdentity<TrustedProxyClaims>

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express types its request through this global namespace
  namespace Express {
    /**
     * The application user. Declared as Passport declares it (an interface `req.user` refers to), so that this
     * adapter and `@types/passport` can be loaded together; here it takes the members of TrustedProxyUser.
     */
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the members come from the extended type
    interface User extends TrustedProxyUserMembers {}
    interface Request {
      /** The application user: `resolveUser(identity)` when given, else the identity; absent when unauthenticated. */
      user?: User | undefined
      /** The verified identity; null in mode `optional` when no assertion was sent, absent on routes that opted out. */
      trustedIdentity?: TrustedProxyIdentity | null
    }
  }
}

/** TrustedProxyUser as an object type an interface can extend. */
type TrustedProxyUserMembers = TrustedProxyUser & object
