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

/**
 * Members of every object in a parsed value (NaN when a number overflowed to Infinity), turning every -0
 * into 0 on the way (contract/checks.json numberOutput: every language holds the same value). JSON.parse
 * keeps one member per name, so fewer members than names in the text means a duplicate name at some depth.
 * One walk instead of a JSON.parse reviver, which costs a call per value.
 */
function membersWithoutNegativeZero(value: object): number {
  let count = 0
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i]
      if (typeof element === 'number') {
        if (!Number.isFinite(element)) return Number.NaN
        if (Object.is(element, -0)) value[i] = 0
      } else if (element !== null && typeof element === 'object') {
        count += membersWithoutNegativeZero(element)
      }
    }
    return count
  }
  const record = value as Record<string, unknown>
  // JSON.parse creates own data properties only (a member named `__proto__` included, hence defineProperty).
  for (const name of Object.keys(record)) {
    count++
    const member = record[name]
    if (typeof member === 'number') {
      if (!Number.isFinite(member)) return Number.NaN
      if (Object.is(member, -0)) Object.defineProperty(record, name, { value: 0, writable: true, enumerable: true, configurable: true })
    } else if (member !== null && typeof member === 'object') {
      count += membersWithoutNegativeZero(member)
    }
  }
  return count
}

/**
 * Parses a JSON object strictly: duplicate member names (at any depth), nesting beyond `maxDepth`,
 * numbers that overflow to Infinity and anything but an object at the top are refused (null is returned).
 * Parsers disagree on duplicates (first-wins vs last-wins), so accepting them would let a proxy and
 * this library read different claims from the same signed bytes.
 */
export function parseStrictJsonObject(text: string, maxDepth: number): Record<string, unknown> | null {
  const shape = jsonShape(text)
  if (shape.depth > maxDepth) return null
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  // NaN (an overflowed number) never equals the count; fewer parsed members than names is a duplicate.
  if (membersWithoutNegativeZero(value) !== shape.memberNames) return null
  return value as Record<string, unknown>
}
