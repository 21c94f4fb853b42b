import { parse as parseJsonAst, type AnyNode } from '@humanwhocodes/momoa'

/**
 * Nesting depth of a JSON text, measured without parsing so that absurdly deep input is refused
 * before any recursive parser sees it.
 */
export function jsonNestingDepth(text: string): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (inString) {
      if (ch === 0x5c) i++
      else if (ch === 0x22) inString = false
    } else if (ch === 0x22) {
      inString = true
    } else if (ch === 0x7b || ch === 0x5b) {
      depth++
      if (depth > deepest) deepest = depth
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--
    }
  }
  return deepest
}

function hasDuplicateMembers(node: AnyNode): boolean {
  if (node.type === 'Object') {
    const names = new Set<string>()
    for (const member of node.members) {
      const name = member.name.type === 'String' ? member.name.value : member.name.name
      if (names.has(name)) return true
      names.add(name)
      if (hasDuplicateMembers(member.value)) return true
    }
  } else if (node.type === 'Array') {
    for (const element of node.elements) if (hasDuplicateMembers(element.value)) return true
  }
  return false
}

function hasNonFiniteNumber(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value)
  if (Array.isArray(value)) return value.some(hasNonFiniteNumber)
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasNonFiniteNumber)
  return false
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
  if (jsonNestingDepth(text) > maxDepth) return null
  let value: unknown
  try {
    if (hasDuplicateMembers(parseJsonAst(text).body)) return null
    value = JSON.parse(text, withoutNegativeZero)
  } catch {
    return null
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  if (hasNonFiniteNumber(value)) return null
  return value as Record<string, unknown>
}
