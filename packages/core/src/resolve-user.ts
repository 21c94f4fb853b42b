import { TrustedProxyAuthError } from './errors.js'
import type { TrustedIdentity } from './identity.js'

/**
 * What an adapter's `resolveUser` may return: the application's user, or `null`/`undefined` to deny the
 * verified identity (403 `forbidden_user`), synchronously or as a promise.
 */
export type ResolvedUser<User> = User | null | undefined | Promise<User | null | undefined>

/**
 * The user every adapter exposes for a verified identity: the identity itself without a resolver, else what
 * the resolver returns. One rule for every adapter (contract/errors.json, `forbidden_user`): a resolver that
 * returns `null` or `undefined` denies the request with 403 `forbidden_user`, and a `TrustedProxyAuthError` it
 * throws is answered like any rejection (its own code and status). Any other exception propagates to the
 * framework's own error handling untouched.
 *
 * @throws TrustedProxyAuthError `forbidden_user` when the resolver yields no user.
 */
export async function resolveAdapterUser<Request, User, Identity extends TrustedIdentity<object> = TrustedIdentity>(
  resolveUser: ((identity: Identity, request: Request) => ResolvedUser<User>) | undefined,
  identity: Identity,
  request: Request,
): Promise<User | Identity> {
  if (!resolveUser) return identity
  const user = await resolveUser(identity, request)
  if (user === null || user === undefined) throw new TrustedProxyAuthError('forbidden_user')
  return user
}
