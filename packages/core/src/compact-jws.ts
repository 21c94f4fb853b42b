import { base64url } from 'jose'
import { CHECKS_CONTRACT } from './generated/contract.js'
import { parseStrictJsonObject } from './json-strict.js'
import { withoutPadding } from './quirks/padded-base64url.js'

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// Node's native base64url codec when present (several times faster); jose's elsewhere (workers).
const NodeBuffer = globalThis.Buffer as typeof Buffer | undefined

/** Decodes canonical, unpadded base64url only: the re-encoding must give back the same text. */
export function decodeCanonicalBase64url(segment: string): Uint8Array | null {
  if (!BASE64URL_SEGMENT.test(segment) || segment.length % 4 === 1) return null
  if (NodeBuffer) {
    const decoded = NodeBuffer.from(segment, 'base64url')
    return decoded.toString('base64url') === segment ? decoded : null
  }
  let bytes: Uint8Array
  try {
    bytes = base64url.decode(segment)
  } catch {
    return null
  }
  return base64url.encode(bytes) === segment ? bytes : null
}

function decodeJsonSegment(segment: string): Record<string, unknown> | null {
  const bytes = decodeCanonicalBase64url(segment)
  if (!bytes) return null
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return null
  }
  // A BOM is not JSON whitespace; TextDecoder would otherwise hide it.
  if (text.charCodeAt(0) === 0xfeff) return null
  return parseStrictJsonObject(text, CHECKS_CONTRACT.limits.maxJsonDepth)
}

export interface ParsedCompactJws {
  readonly protectedHeader: Record<string, unknown>
  readonly payload: Record<string, unknown>
  /** The decoded signature. */
  readonly signature: Uint8Array
  /** The three segments exactly as received (with any padding the paddedBase64url quirk allowed). */
  readonly segments: readonly [string, string, string]
}

export interface CompactJwsSyntax {
  /** Quirk paddedBase64url: accept segments padded with the `=` that complete them. */
  readonly allowPadding?: boolean
}

/** Stage `syntax` of contract/checks.json. Returns null when the assertion is malformed. */
export function parseCompactJws(token: string, syntax: CompactJwsSyntax = {}): ParsedCompactJws | null {
  const segments = token.split('.')
  if (segments.length !== 3) return null
  const received = segments as [string, string, string]
  const unpadded = syntax.allowPadding ? received.map(withoutPadding) : received
  const [headerSegment, payloadSegment, signatureSegment] = unpadded
  if (headerSegment == null || payloadSegment == null || signatureSegment == null) return null
  const signature = decodeCanonicalBase64url(signatureSegment)
  if (!signature) return null
  const protectedHeader = decodeJsonSegment(headerSegment)
  if (!protectedHeader) return null
  const payload = decodeJsonSegment(payloadSegment)
  if (!payload) return null
  return { protectedHeader, payload, signature, segments: received }
}
