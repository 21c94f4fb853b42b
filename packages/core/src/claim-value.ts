const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key)

/**
 * A member of a parsed JSON object (a payload or a protected header) by name, or undefined when the object has
 * no such own member: a name like `constructor` never reads what the object inherits.
 */
export function claimValue(payload: Readonly<Record<string, unknown>>, name: string): unknown {
  return ownMember(payload, name, payload[name])
}

/**
 * claimValue for a member the caller has read itself (`read = object[name]`, at a site of its own): V8 keeps such
 * loads monomorphic, where claimValue's one shared load meets every claim name and goes megamorphic (about 1,200
 * instructions more per verification, callgrind). `read` when it is the object's own member, else undefined: so
 * nothing Object.prototype was given (prototype pollution, data or accessor) passes for a claim.
 */
export function ownMember(object: Readonly<Record<string, unknown>>, name: string, read: unknown): unknown {
  // Read first: an absent member (most optional claims) then costs no own-property call.
  return read !== undefined && hasOwn(object, name) ? read : undefined
}

/**
 * The own enumerable members of `object`, copied into a record without a prototype: every later read of the copy,
 * plain or destructured, sees only them, never a member Object.prototype was given.
 */
export function ownMembersCopy(object: object): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, object)
}

/** A claim that is a string or an array of strings (its type checked before), as an array; [] when absent. */
export function asStringArray(value: unknown): string[] {
  if (value === undefined) return []
  return typeof value === 'string' ? [value] : [...(value as string[])]
}

/** A JSON number that is finite (RFC 7519 NumericDate claims; JSON.parse gives Infinity for an overflowing literal). */
export const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
