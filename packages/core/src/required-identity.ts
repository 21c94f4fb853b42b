import { TrustedProxyAuthError } from './errors.js'

/** contract/requirements.json `noIdentity.detail`: why a route that needs an identity found none. */
export const NO_IDENTITY_DETAIL = 'the route requires an identity'

/**
 * The identity (or user) an adapter's middleware attached, for handlers that cannot run without one: the
 * non-null value, so a handler behind mode `required` needs no `!`. Absent (the middleware is not in front of
 * the route, or mode `optional` and no assertion was sent) it throws, failing closed, the error a route guard
 * answers with (contract/requirements.json `noIdentity`).
 *
 * @throws TrustedProxyAuthError `missing_assertion` (401) when `value` is null or undefined.
 */
export function requirePresent<Value>(value: Value | null | undefined): Value {
  if (value === null || value === undefined) throw new TrustedProxyAuthError('missing_assertion', { detail: NO_IDENTITY_DETAIL })
  return value
}
