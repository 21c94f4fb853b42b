/** What one pass over a JSON text finds without parsing it. */
interface JsonShape {
  /** Deepest nesting of objects and arrays. */
  readonly depth: number
  /** Object member names in the text (a string followed by `:`), counted at every depth. */
  readonly memberNames: number
}

const isJsonWhitespace = (ch: number): boolean => ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d

/**
 * Nesting depth and member-name count of a JSON text, measured without parsing so that absurdly deep
 * input is refused before any recursive parser sees it. In valid JSON a string is a member name exactly
 * when the next non-whitespace character is `:`.
 */
export function jsonShape(text: string): JsonShape {
  let depth = 0
  let deepest = 0
  let memberNames = 0
  let inString = false
  let stringEnded = false
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (inString) {
      if (ch === 0x5c) i++
      else if (ch === 0x22) {
        inString = false
        stringEnded = true
      }
      continue
    }
    if (stringEnded && !isJsonWhitespace(ch)) {
      if (ch === 0x3a) memberNames++
      stringEnded = false
    }
    if (ch === 0x22) {
      inString = true
    } else if (ch === 0x7b || ch === 0x5b) {
      depth++
      if (depth > deepest) deepest = depth
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--
    }
  }
  return { depth: deepest, memberNames }
}

/** Nesting depth of a JSON text (see jsonShape). */
export function jsonNestingDepth(text: string): number {
  return jsonShape(text).depth
}

/**
 * Members of every object in a parsed value, and whether a number overflowed to Infinity. JSON.parse keeps
 * one member per name, so fewer members than names in the text means a duplicate name at some depth.
 */
function parsedMembers(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? 0 : Number.NaN
  if (value === null || typeof value !== 'object') return 0
  let count = 0
  if (Array.isArray(value)) {
    for (const element of value) count += parsedMembers(element)
    return count
  }
  // JSON.parse creates own data properties only (a member named `__proto__` included).
  for (const member of Object.values(value)) count += 1 + parsedMembers(member)
  return count
}

/** Numbers are read as doubles with -0 as 0 (contract/checks.json numberOutput), so every language holds the same value. */
function withoutNegativeZero(_name: string, value: unknown): unknown {
  return Object.is(value, -0) ? 0 : value
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
    value = JSON.parse(text, withoutNegativeZero)
  } catch {
    return null
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  // NaN (an overflowed number) never equals the count; fewer parsed members than names is a duplicate.
  if (parsedMembers(value) !== shape.memberNames) return null
  return value as Record<string, unknown>
}
