import type * as NodeBufferModule from 'node:buffer'
import { base64url } from 'jose'
import { CHECKS_CONTRACT } from './generated/contract.js'
import { parseStrictJsonObject } from './json-strict.js'
import { withoutPadding } from './quirks/padded-base64url.js'

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// Node's native base64url codec when present (several times faster); jose's elsewhere (workers).
const NodeBuffer = globalThis.Buffer as typeof Buffer | undefined

/** The 6-bit value of a base64url character (the segment passed BASE64URL_SEGMENT). */
function sextet(code: number): number {
  if (code >= 0x61) return code - 0x61 + 26 // a-z
  if (code >= 0x41) return code === 0x5f ? 63 : code - 0x41 // A-Z, _
  return code === 0x2d ? 62 : code - 0x30 + 52 // -, 0-9
}

/**
 * Whether an unpadded base64url text is the only encoding of its bytes (RFC 4648 section 3.5): the bits of
 * the last character beyond the last whole byte must be zero (4 bits after 2 characters of a group, 2 after 3).
 */
function hasCanonicalTail(segment: string): boolean {
  const partial = segment.length % 4
  if (partial === 0) return true
  const unusedBits = partial === 2 ? 0x0f : 0x03
  return (sextet(segment.charCodeAt(segment.length - 1)) & unusedBits) === 0
}

/** Decodes canonical, unpadded base64url only: the re-encoding must give back the same text. */
export function decodeCanonicalBase64url(segment: string): Uint8Array | null {
  if (!BASE64URL_SEGMENT.test(segment) || segment.length % 4 === 1) return null
  if (NodeBuffer) return hasCanonicalTail(segment) ? NodeBuffer.from(segment, 'base64url') : null
  let bytes: Uint8Array
  try {
    bytes = base64url.decode(segment)
  } catch {
    return null
  }
  return base64url.encode(bytes) === segment ? bytes : null
}

// ASCII is valid UTF-8 as it is and decodes faster as latin1 (most assertions are ASCII); Node only.
const isAscii = (globalThis.process?.getBuiltinModule?.('node:buffer') as typeof NodeBufferModule | undefined)?.isAscii

function utf8Text(bytes: Uint8Array): string | null {
  if (isAscii && NodeBuffer && bytes instanceof NodeBuffer && isAscii(bytes)) return bytes.toString('latin1')
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

function decodeJsonSegment(segment: string): Record<string, unknown> | null {
  const bytes = decodeCanonicalBase64url(segment)
  if (!bytes) return null
  const text = utf8Text(bytes)
  if (text === null) return null
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
