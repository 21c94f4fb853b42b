import { headerPairs, type HeadersInput } from '../../request-headers.js'
import { decodeAssertion, LARGEST_ASSERTION_BYTES } from '../decoded-assertion.js'

/** One header of the request whose value has the shape of a compact JWS (RFC 7515 section 7.1). */
export interface ArrivedAssertion {
  /** The header name as received (lower case for Node and fetch headers). */
  readonly header: string
  /** The compact JWS itself: used for this request's checks only, never stored, logged or rendered. */
  readonly assertion: string
  /** Decoded for display; null when a part is not decodable JSON. Unverified. */
  readonly decoded: { readonly header: Record<string, unknown>; readonly claims: Record<string, unknown> } | null
}

const COMPACT_JWS = /^(?:bearer +)?([A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*)$/i

/**
 * Every request header that carries something shaped like a compact JWS, in arrival order, with its JOSE
 * header and claims decoded for display. Nothing here is verified: the checks do that.
 */
export function arrivedAssertions(headers: HeadersInput): ArrivedAssertion[] {
  const found: ArrivedAssertion[] = []
  for (const [header, value] of headerPairs(headers)) {
    if (header.toLowerCase() === 'cookie' || value.length > LARGEST_ASSERTION_BYTES) continue
    const match = COMPACT_JWS.exec(value.trim())
    if (!match) continue
    const assertion = match[1]!
    const outcome = decodeAssertion(assertion)
    // Not decodable is shown as such; the checks report the real reason.
    found.push({ header, assertion, decoded: 'decoded' in outcome ? outcome.decoded : null })
  }
  return found
}
