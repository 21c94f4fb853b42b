// Deterministic byte edits that turn a well-formed token or JSON text into a broken one. Each edit checks
// its precondition and throws when it would not change anything, so a vector can never silently test nothing.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** @param {string} token */
export function segments(token) {
  return token.split('.')
}

/** Replaces segment `index` (0 header, 1 payload, 2 signature) using `edit`. */
export function editSegment(/** @type {number} */ index, /** @type {(segment: string) => string} */ edit) {
  return (/** @type {string} */ token) => {
    const parts = segments(token)
    const before = parts[index]
    if (before === undefined) throw new Error(`the token has no segment ${index}`)
    const after = edit(before)
    if (after === before) throw new Error('the edit changed nothing')
    parts[index] = after
    return parts.join('.')
  }
}

/** Adds the `=` padding base64 would have. */
export function addPadding(/** @type {string} */ segment) {
  const missing = (4 - (segment.length % 4)) % 4
  if (missing === 0) throw new Error('this segment needs no padding; pick another')
  return segment + '='.repeat(missing)
}

/** Sets an unused low bit of the last character: decodes to the same bytes in a lenient decoder. */
export function setTrailingBits(/** @type {string} */ segment) {
  const unusedBits = { 2: 4, 3: 2 }[segment.length % 4]
  if (!unusedBits) throw new Error('this segment has no unused trailing bits; pick another')
  const last = ALPHABET.indexOf(segment.slice(-1))
  return segment.slice(0, -1) + ALPHABET[last | 1]
}

/** Rewrites one base64url character as its standard-alphabet twin (`-` → `+`, `_` → `/`). */
export function standardAlphabet(/** @type {'-' | '_'} */ character) {
  return (/** @type {string} */ segment) => {
    if (!segment.includes(character)) throw new Error(`segment has no ${character}; pick another`)
    return segment.replaceAll(character, character === '-' ? '+' : '/')
  }
}

/** Lengthens a segment to length ≡ 1 (mod 4), which no byte string encodes to. */
export function impossibleLength(/** @type {string} */ segment) {
  let result = segment
  do result += 'A'
  while (result.length % 4 !== 1)
  return result
}

/** Inserts `text` at position `index` of a string (negative: from the end). */
/**
 * Replaces the character at `index` with the one `replacement` gives for it (same length, so decoders that
 * skip what they do not know lose a byte, and decoders that keep only the low byte of a wide character read
 * the original).
 */
export function replaceAt(/** @type {number} */ index, /** @type {(character: string) => string} */ replacement) {
  return (/** @type {string} */ value) => value.slice(0, index) + replacement(value.charAt(index)) + value.slice(index + 1)
}

/** The character U+01xx whose low byte is `character`'s code: read as `character` by a decoder that truncates. */
export const wideTwin = (/** @type {string} */ character) => String.fromCharCode(0x100 + character.charCodeAt(0))

export function insertAt(/** @type {number} */ index, /** @type {string} */ text) {
  return (/** @type {string} */ value) => {
    const at = index < 0 ? value.length + index : index
    return value.slice(0, at) + text + value.slice(at)
  }
}

/** JSON text of `object` with `members` (raw JSON text, e.g. `"sub":"admin"`) appended inside the braces. */
export function jsonWithMembers(/** @type {Record<string, unknown>} */ object, /** @type {string} */ members) {
  const text = JSON.stringify(object)
  return text.slice(0, -1) + (text === '{}' ? '' : ',') + members + '}'
}

/** Replaces exactly one occurrence of `from` in the JSON text of `object`. */
export function jsonReplacing(/** @type {Record<string, unknown>} */ object, /** @type {string} */ from, /** @type {string} */ to) {
  const text = JSON.stringify(object)
  const at = text.indexOf(from)
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one ${from} in ${text}`)
  return text.slice(0, at) + to + text.slice(at + from.length)
}

/** UTF-8 of `text` with `marker` replaced by raw `bytes` (for invalid UTF-8). */
export function bytesReplacing(/** @type {string} */ text, /** @type {string} */ marker, /** @type {number[]} */ bytes) {
  const at = text.indexOf(marker)
  if (at < 0) throw new Error(`no ${marker} in the text`)
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at + marker.length))])
}

/** `depth` levels of nesting in all, counting the outer object as 1: `{"deep":[[...]]}`. */
export function nestedArrays(/** @type {number} */ depth) {
  if (depth < 2) throw new Error('depth counts the outer object, so it is at least 2 here')
  return '['.repeat(depth - 1) + ']'.repeat(depth - 1)
}
