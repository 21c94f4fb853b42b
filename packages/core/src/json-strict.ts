/** What one pass over a JSON text finds without parsing it. */
interface JsonShape {
  /** Deepest nesting of objects and arrays. */
  readonly depth: number
  /** Object member names in the text (a string followed by `:`), counted at every depth. */
  readonly memberNames: number
}

const isJsonWhitespace = (ch: number): boolean => ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d

/** The index of the `"` that closes the string opened at `open`, or -1: the next one not escaped by an odd run of `\`. */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1)
  while (end !== -1) {
    let backslashes = 0
    for (let j = end - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++
    if (backslashes % 2 === 0) return end
    end = text.indexOf('"', end + 1)
  }
  return -1
}

/**
 * Nesting depth and member-name count of a JSON text, measured without parsing so that absurdly deep
 * input is refused before any recursive parser sees it. In valid JSON a string is a member name exactly
 * when the next non-whitespace character is `:`. Strings (most of an assertion) are skipped with indexOf.
 */
export function jsonShape(text: string): JsonShape {
  let depth = 0
  let deepest = 0
  let memberNames = 0
  const length = text.length
  let i = 0
  while (i < length) {
    const ch = text.charCodeAt(i)
    if (ch === 0x22) {
      const end = closingQuote(text, i)
      // Unterminated: JSON.parse refuses the text anyway.
      if (end === -1) break
      i = end + 1
      while (i < length && isJsonWhitespace(text.charCodeAt(i))) i++
      if (text.charCodeAt(i) === 0x3a) memberNames++
      continue
    }
    if (ch === 0x7b || ch === 0x5b) {
      depth++
      if (depth > deepest) deepest = depth
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--
    }
    i++
  }
  return { depth: deepest, memberNames }
}

/** Nesting depth of a JSON text (see jsonShape). */
export function jsonNestingDepth(text: string): number {
  return jsonShape(text).depth
}

/** What the walk over a parsed value refuses: nesting beyond the limit, or a number that overflowed to Infinity. */
const REFUSED = Number.NaN

/**
 * Members of every object in a parsed value (NaN when it nests deeper than `depthLeft` allows or a number
 * overflowed to Infinity), turning every -0 into 0 on the way (contract/checks.json numberOutput: every
 * language holds the same value), and with `freeze` freezing each object and array once its members are
 * final. One walk instead of a JSON.parse reviver, which costs a call per value, and instead of a second
 * walk to freeze; it never descends deeper than the limit, so deep input cannot exhaust the stack.
 */
function membersWithoutNegativeZero(value: object, depthLeft: number, freeze: boolean): number {
  if (depthLeft < 1) return REFUSED
  let count = 0
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i]
      if (typeof element === 'number') {
        if (!Number.isFinite(element)) return REFUSED
        if (Object.is(element, -0)) value[i] = 0
      } else if (element !== null && typeof element === 'object') {
        const inner = membersWithoutNegativeZero(element, depthLeft - 1, freeze)
        if (Number.isNaN(inner)) return REFUSED
        count += inner
      }
    }
    if (freeze) Object.freeze(value)
    return count
  }
  const record = value as Record<string, unknown>
  // JSON.parse creates own data properties only (a member named `__proto__` included, hence defineProperty).
  // for-in without the array Object.keys would build; the own-property test skips anything inherited.
  for (const name in record) {
    if (!Object.prototype.hasOwnProperty.call(record, name)) continue
    count++
    const member = record[name]
    if (typeof member === 'number') {
      if (!Number.isFinite(member)) return REFUSED
      if (Object.is(member, -0)) Object.defineProperty(record, name, { value: 0, writable: true, enumerable: true, configurable: true })
    } else if (member !== null && typeof member === 'object') {
      const inner = membersWithoutNegativeZero(member, depthLeft - 1, freeze)
      if (Number.isNaN(inner)) return REFUSED
      count += inner
    }
  }
  if (freeze) Object.freeze(record)
  return count
}

/**
 * Colons whose previous non-whitespace character is `"`: every member name of a valid JSON text ends so,
 * and only a string value starting with `:` or holding `\":` adds more. So this is never below the real
 * member-name count (jsonShape's), and a cheap upper bound to compare with what JSON.parse kept.
 */
function memberNamesAtMost(text: string): number {
  let count = 0
  for (let colon = text.indexOf(':'); colon !== -1; colon = text.indexOf(':', colon + 1)) {
    let before = colon - 1
    while (before >= 0 && isJsonWhitespace(text.charCodeAt(before))) before--
    if (text.charCodeAt(before) === 0x22) count++
  }
  return count
}

/**
 * Parses a JSON object strictly: duplicate member names (at any depth), nesting beyond `maxDepth`,
 * numbers that overflow to Infinity and anything but an object at the top are refused (null is returned).
 * Parsers disagree on duplicates (first-wins vs last-wins), so accepting them would let a proxy and
 * this library read different claims from the same signed bytes.
 * `freeze`: the value comes back deeply frozen (every object and array in it), frozen on the walk the checks
 * make anyway; a refused text may have been partly frozen, which nothing sees.
 */
export function parseStrictJsonObject(text: string, maxDepth: number, freeze = false): Record<string, unknown> | null {
  let value: unknown
  try {
    // V8's JSON.parse is not recursive: any nesting parses, and the walk below refuses what is too deep.
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  // JSON.parse keeps one member per name, so fewer members than names in the text means a duplicate
  // name at some depth. When the cheap upper bound equals the members kept, so does the exact count.
  const members = membersWithoutNegativeZero(value, maxDepth, freeze)
  if (Number.isNaN(members)) return null
  if (members !== memberNamesAtMost(text) && members !== jsonShape(text).memberNames) return null
  return value as Record<string, unknown>
}
