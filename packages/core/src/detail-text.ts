/**
 * How a received value (a claim, a header member, a peer address) is quoted inside an error's `detail`
 * (contract/errors.json): cut to MAX_QUOTED_CHARACTERS code points, then `…`, with `"`, `\` and control
 * characters escaped as in JSON, so that a detail is one readable line and cannot forge log lines.
 * Python's `_detail_text.py` does exactly the same, so both languages produce identical details.
 */
export const MAX_QUOTED_CHARACTERS = 100
/** At most this many values of a received list are shown. */
export const MAX_QUOTED_VALUES = 5

function escapeControl(character: string): string {
  const code = character.codePointAt(0)!
  // C0, DEL, C1, the JavaScript line separators and lone surrogates.
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) {
    return `\\u${code.toString(16).padStart(4, '0')}`
  }
  return character
}

function escapeCodePoint(character: string): string {
  if (character === '"') return '\\"'
  if (character === '\\') return '\\\\'
  return escapeControl(character)
}

/**
 * A signed claim made safe for a terminal line: control characters (which could move the cursor, set the
 * window title or clear the screen) and line separators escaped as `\uXXXX`; nothing cut, quotes kept.
 */
export function printable(text: string): string {
  return Array.from(text).map(escapeControl).join('')
}

/** `"value"`, cut and escaped; a non-string (a number, an object) is shown as its JSON type. */
export function quoted(value: unknown): string {
  if (typeof value !== 'string') return `(${jsonType(value)})`
  const characters = Array.from(value)
  const shown = characters.slice(0, MAX_QUOTED_CHARACTERS).map(escapeCodePoint).join('')
  return `"${shown}${characters.length > MAX_QUOTED_CHARACTERS ? '…' : ''}"`
}

/** `"a", "b"`, at most MAX_QUOTED_VALUES of them, then `and N more`; `[]` for none. */
export function quotedList(values: readonly unknown[]): string {
  if (values.length === 0) return '[]'
  const shown = values.slice(0, MAX_QUOTED_VALUES).map(quoted).join(', ')
  return values.length > MAX_QUOTED_VALUES ? `${shown} and ${values.length - MAX_QUOTED_VALUES} more` : shown
}

/** The JSON type name of a value: string, number, boolean, null, array or object. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value === 'object' ? 'object' : typeof value
}

/** A number as JSON writes it (both languages: an integral float prints without `.0`). */
export function numberText(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(0) : String(value)
}
