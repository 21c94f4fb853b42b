import type { NameValueRule } from './config.js'
import { quoted } from './detail-text.js'
import { TrustedProxyAuthError } from './errors.js'

/**
 * Fetch `Headers`, Node's `IncomingHttpHeaders`/`headersDistinct`, raw `[name, value]` pairs, or Node's flat
 * `rawHeaders` list (`[name, value, name, value, …]`, exactly as received: read in place, no copy per request).
 */
export type HeadersInput =
  | Headers
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | ReadonlyArray<readonly [string, string]>
  | readonly string[]

function isHeaders(input: HeadersInput): input is Headers {
  return typeof (input as Headers).get === 'function' && typeof (input as Headers).forEach === 'function'
}

/** A flat `rawHeaders` list rather than pairs (an empty list is both, and holds nothing either way). */
function isFlatList(input: readonly unknown[]): input is readonly string[] {
  return typeof input[0] === 'string'
}

/** `name` equals `wanted` (lower case) case-insensitively; only a name of the same length is lowered (a new string). */
const sameName = (name: string, wanted: string): boolean => name.length === wanted.length && (name === wanted || name.toLowerCase() === wanted)

/** Every header as a `[name, value]` pair in arrival order (names as the input spells them). */
export function headerPairs(input: HeadersInput): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  if (isHeaders(input)) input.forEach((value, name) => pairs.push([name, value]))
  else if (Array.isArray(input)) {
    if (isFlatList(input)) for (let i = 0; i + 1 < input.length; i += 2) pairs.push([input[i]!, input[i + 1]!])
    else for (const [name, value] of input as ReadonlyArray<readonly [string, string]>) pairs.push([name, value])
  } else {
    for (const [name, value] of Object.entries(input as Record<string, string | readonly string[] | undefined>)) {
      if (typeof value === 'string') pairs.push([name, value])
      else if (value) for (const item of value) pairs.push([name, item])
    }
  }
  return pairs
}

let lastName = ''
let lastLowerName = ''

/** `name` in lower case: the configured names recur on every request, so the last one is remembered. */
function lowerName(name: string): string {
  if (name !== lastName) {
    lastLowerName = name.toLowerCase()
    lastName = name
  }
  return lastLowerName
}

/** Every value sent under `name` (case-insensitive), each repetition kept apart where the input allows. */
export function headerValues(input: HeadersInput, name: string): string[] {
  const wanted = lowerName(name)
  if (isHeaders(input)) {
    const value = input.get(wanted)
    return value === null ? [] : [value]
  }
  const values: string[] = []
  if (Array.isArray(input)) {
    if (isFlatList(input)) {
      // A dangling name without a value (an odd length) is no header, as in rawHeaderPairs.
      for (let i = 0; i + 1 < input.length; i += 2) if (sameName(input[i]!, wanted)) values.push(input[i + 1]!)
      return values
    }
    for (const [key, value] of input as ReadonlyArray<readonly [string, string]>) {
      if (sameName(key, wanted)) values.push(value)
    }
    return values
  }
  const record = input as Record<string, string | readonly string[] | undefined>
  // Every own name is compared (a plain object may spell a name in any case); Object.keys, not entries, spares
  // an array per header on every request.
  for (const key of Object.keys(record)) {
    if (!sameName(key, wanted)) continue
    const value = record[key]
    if (value === undefined) continue
    if (typeof value === 'string') values.push(value)
    else values.push(...value)
  }
  return values
}

const BEARER = /^bearer +/i

/**
 * Stage `header_extraction`: the one assertion in the configured header, or null when absent.
 * Repeated or comma-joined values are refused rather than picking one, since an attacker-supplied
 * copy next to the proxy's is exactly what a proxy that fails to strip the header produces.
 */
export function extractAssertion(input: HeadersInput, headerName: string): string | null {
  const values = headerValues(input, headerName)
  if (values.length === 0) return null
  if (values.length > 1) throw new TrustedProxyAuthError('malformed_assertion', { detail: `header ${quoted(headerName)} was sent ${values.length} times` })
  let value = values[0]!
  if (lowerName(headerName) === 'authorization') {
    const prefix = BEARER.exec(value)
    if (prefix) value = value.slice(prefix[0].length)
    else if (/^bearer$/i.test(value.trim())) value = ''
  }
  // Blank: trimmed only when it may be (a first character of printable ASCII other than space is never trimmed).
  const first = value.charCodeAt(0)
  if (value === '' || (!(first > 0x20 && first < 0x7f) && value.trim() === '')) return null
  if (value.includes(',')) throw new TrustedProxyAuthError('malformed_assertion', { detail: `header ${quoted(headerName)} holds a comma-joined value` })
  return value
}

/** Stage `required_headers`. */
export function checkRequiredHeaders(input: HeadersInput, rules: readonly NameValueRule[]): void {
  for (const rule of rules) {
    const values = headerValues(input, rule.name)
    const fault =
      values.length === 0 ? 'is absent' : values.length > 1 ? `was sent ${values.length} times` : rule.value !== null && values[0] !== rule.value ? 'does not have the required value' : null
    if (fault !== null) throw new TrustedProxyAuthError('missing_required_header', { detail: `header ${quoted(rule.name)} ${fault}` })
  }
}
