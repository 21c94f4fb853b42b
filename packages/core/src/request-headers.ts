import type { NameValueRule } from './config.js'
import { quoted } from './detail-text.js'
import { TrustedProxyAuthError } from './errors.js'

/** Fetch `Headers`, Node's `IncomingHttpHeaders`/`headersDistinct`, or raw `[name, value]` pairs. */
export type HeadersInput =
  | Headers
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | ReadonlyArray<readonly [string, string]>

function isHeaders(input: HeadersInput): input is Headers {
  return typeof (input as Headers).get === 'function' && typeof (input as Headers).forEach === 'function'
}

/** Every value sent under `name` (case-insensitive), each repetition kept apart where the input allows. */
export function headerValues(input: HeadersInput, name: string): string[] {
  const wanted = name.toLowerCase()
  if (isHeaders(input)) {
    const value = input.get(wanted)
    return value === null ? [] : [value]
  }
  const values: string[] = []
  if (Array.isArray(input)) {
    for (const [key, value] of input as ReadonlyArray<readonly [string, string]>) {
      if (key.toLowerCase() === wanted) values.push(value)
    }
    return values
  }
  const record = input as Record<string, string | readonly string[] | undefined>
  // Every own name is compared (a plain object may spell a name in any case); Object.keys, not entries, spares
  // an array per header on every request.
  for (const key of Object.keys(record)) {
    if (key.length !== wanted.length || (key !== wanted && key.toLowerCase() !== wanted)) continue
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
  if (headerName.toLowerCase() === 'authorization') {
    const prefix = BEARER.exec(value)
    if (prefix) value = value.slice(prefix[0].length)
    else if (/^bearer$/i.test(value.trim())) value = ''
  }
  if (value.trim() === '') return null
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
