/**
 * Freezes a parsed JSON value and everything in it, in place. For objects the library hands to more than one
 * caller (a protected header shared by every assertion that carries it, an identity remembered by the
 * verified-assertion cache): a caller that changed one would change what the next request sees.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}
