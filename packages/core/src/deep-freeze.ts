/**
 * Freezes a parsed JSON value and everything in it, in place. For objects the library hands to more than one
 * caller (a protected header shared by every assertion that carries it, an identity remembered by the
 * verified-assertion cache): a caller that changed one would change what the next request sees.
 *
 * A value found frozen already is taken as frozen all the way down: only this function and the strict JSON
 * parser (parseStrictJsonObject with `freeze`, which freezes children before their parent) freeze what
 * reaches it, so an assertion's payload, frozen as it was parsed, costs one check here.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) freezeTree(value)
  return value
}

const isUnfrozenObject = (value: unknown): value is object => value !== null && typeof value === 'object' && !Object.isFrozen(value)

/** Freezes `value`, then each member that is an object not frozen yet (primitives need nothing). */
function freezeTree(value: object): void {
  // Frozen before its members, so that a cycle (never in JSON) ends at a frozen object.
  Object.freeze(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i]
      if (isUnfrozenObject(element)) freezeTree(element)
    }
    return
  }
  const record = value as Record<string, unknown>
  // for-in without the array Object.values would build; the own-property test skips anything inherited.
  for (const name in record) {
    if (!Object.prototype.hasOwnProperty.call(record, name)) continue
    const member = record[name]
    if (isUnfrozenObject(member)) freezeTree(member)
  }
}
