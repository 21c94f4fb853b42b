import type * as NodeBufferModule from 'node:buffer'
import { base64url } from 'jose'
import { CHECKS_CONTRACT } from './generated/contract.js'
import { parseStrictJsonObject } from './json-strict.js'

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// Node's native base64url codec when present (several times faster); jose's elsewhere (workers).
const NodeBuffer = globalThis.Buffer as typeof Buffer | undefined
/**
 * Node's own decoder, for the length-checked fast path (decodeAsciiBase64url): what it does with a character
 * outside the alphabet (skip it, stop at `=`) is tested here on Node. Other runtimes with a `Buffer` (Bun, Deno,
 * workers with Node compatibility) take the pattern check instead.
 */
const NODE_DECODER =
  NodeBuffer && typeof globalThis.process?.versions?.node === 'string' && globalThis.process.versions['bun'] === undefined && !('Deno' in globalThis)
    ? NodeBuffer
    : undefined

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

/** Bytes that `length` base64url characters without padding encode (a length of 4n + 1 encodes none). */
const decodedLength = (length: number): number => (length >> 2) * 3 + (length & 3 && (length & 3) - 1)

/** What a caller has made sure of a segment's text already: each level includes the one before. */
export type TextChecked = typeof TEXT_UNCHECKED | typeof TEXT_ASCII | typeof TEXT_ASCII_WITHOUT_BASE64_ONLY
const TEXT_UNCHECKED = 0
/** Only ASCII characters (Node's codec reads a wider character by its low byte). */
const TEXT_ASCII = 1
/** ASCII, and neither `+` nor `/` (characters of base64 that base64url has not, and Node's base64url decoder takes). */
const TEXT_ASCII_WITHOUT_BASE64_ONLY = 2

/**
 * Node's decoder on text known to be ASCII, without a pattern match over every character: Node skips a
 * character outside the alphabet (and stops at `=`), and each skipped one leaves fewer bytes than the length
 * promises, so the byte count tells. `+` and `/` it would take (as base64), so they are looked for unless the
 * caller did.
 */
function decodeAsciiBase64url(segment: string, decode: typeof Buffer, checked: TextChecked): Uint8Array | null {
  if (segment.length % 4 === 1) return null
  if (checked !== TEXT_ASCII_WITHOUT_BASE64_ONLY && (segment.includes('+') || segment.includes('/'))) return null
  const bytes = decode.from(segment, 'base64url')
  return bytes.length === decodedLength(segment.length) && hasCanonicalTail(segment) ? bytes : null
}

/**
 * Decodes canonical, unpadded base64url only: the re-encoding must give back the same text.
 * `checked`: what the caller made sure of the text already (TEXT_ASCII and up: Node's codec decodes it directly).
 */
export function decodeCanonicalBase64url(segment: string, checked: TextChecked = TEXT_UNCHECKED): Uint8Array | null {
  if (segment === '') return null
  if (NODE_DECODER && checked !== TEXT_UNCHECKED) return decodeAsciiBase64url(segment, NODE_DECODER, checked)
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

/** A JSON object segment, parsed strictly and deeply frozen (header or claims: both end up shared). */
function decodeJsonSegment(segment: string, checked: TextChecked): Readonly<Record<string, unknown>> | null {
  const bytes = decodeCanonicalBase64url(segment, checked)
  if (!bytes) return null
  const text = utf8Text(bytes)
  if (text === null) return null
  // A BOM is not JSON whitespace; TextDecoder would otherwise hide it.
  if (text.charCodeAt(0) === 0xfeff) return null
  return parseStrictJsonObject(text, CHECKS_CONTRACT.limits.maxJsonDepth, true)
}

/** Distinct protected headers remembered (forgotten all at once when full). */
const MAX_REMEMBERED_HEADERS = 64

/**
 * Parsed protected headers by their segment text. A proxy signs every assertion with one of a few headers
 * (alg, kid, typ), so the header segment repeats while payloads differ: it is decoded and parsed once. Entries
 * are deeply frozen because every verification that meets the same text shares the object.
 */
const rememberedHeaders = new Map<string, Readonly<Record<string, unknown>>>()
/** The header segment met last and its parse: most assertions carry it, and comparing it needs no hash for the map. */
let lastHeaderSegment = ''
let lastHeader: Readonly<Record<string, unknown>> | null = null

function decodeProtectedHeader(segment: string, checked: TextChecked): Readonly<Record<string, unknown>> | null {
  const remembered = rememberedHeaders.get(segment)
  if (remembered !== undefined) {
    lastHeaderSegment = segment
    lastHeader = remembered
    return remembered
  }
  const header = decodeJsonSegment(segment, checked)
  if (!header) return null
  if (rememberedHeaders.size >= MAX_REMEMBERED_HEADERS) rememberedHeaders.clear()
  rememberedHeaders.set(segment, header)
  lastHeaderSegment = segment
  lastHeader = header
  return header
}

export interface ParsedCompactJws {
  /** Deeply frozen: shared by every assertion with the same header segment. */
  readonly protectedHeader: Readonly<Record<string, unknown>>
  /** Deeply frozen as parsed: the identity's claims are this object, shared by every cache hit of the assertion. */
  readonly payload: Readonly<Record<string, unknown>>
  /** The decoded signature. */
  readonly signature: Uint8Array
  /** The three segments exactly as received (with anything a syntax plug took off to decode them, such as padding). */
  readonly segments: readonly [string, string, string]
  /** The JWS signing input (RFC 7515 section 5.2): the header and payload segments as received, with their dot. */
  readonly signingInput: string
}

/** A quirk's syntax plug (quirk-stages.ts): the text decoded from a segment as received; null when malformed. */
export type SegmentText = (received: string) => string | null

export interface CompactJwsSyntax {
  /** A quirk's syntax plug (such as segments padded with the `=` that complete them). */
  readonly segment?: SegmentText
}

/** Stage `syntax` of contract/checks.json. Returns null when the assertion is malformed. */
export function parseCompactJws(token: string, syntax: CompactJwsSyntax = {}): ParsedCompactJws | null {
  return parseCompactJwsText(token, syntax.segment ?? null)
}

/** parseCompactJws with the syntax plug as an argument (the verifier's per-call path: no options object). */
export function parseCompactJwsText(token: string, segmentText: SegmentText | null): ParsedCompactJws | null {
  // A compact JWS is ASCII; UTF-8 measures every wider character as more than one byte (one native pass).
  const asciiChecked = NODE_DECODER !== undefined && NODE_DECODER.byteLength(token, 'utf8') === token.length
  if (NODE_DECODER && !asciiChecked) return null
  // `+` and `/` looked for once in the whole token rather than in each segment (two native scans, not four), when
  // the segments are the token's own text (a syntax plug may change it).
  let checked: TextChecked = asciiChecked ? TEXT_ASCII : TEXT_UNCHECKED
  if (asciiChecked && segmentText === null) {
    if (token.includes('+') || token.includes('/')) return null
    checked = TEXT_ASCII_WITHOUT_BASE64_ONLY
  }
  // Exactly two dots, found with indexOf: split would build an array only to be taken apart again.
  const firstDot = token.indexOf('.')
  if (firstDot === -1) return null
  const secondDot = token.indexOf('.', firstDot + 1)
  if (secondDot === -1 || token.indexOf('.', secondDot + 1) !== -1) return null
  // Cut out and compared with the header met last as a whole (one native comparison): startsWith in place ran
  // character by character in optimised code, 2,400 instructions more per verification (callgrind).
  const received: [string, string, string] = [token.slice(0, firstDot), token.slice(firstDot + 1, secondDot), token.slice(secondDot + 1)]
  const headerSegment = segmentText !== null ? segmentText(received[0]) : received[0]
  const payloadSegment = segmentText !== null ? segmentText(received[1]) : received[1]
  const signatureSegment = segmentText !== null ? segmentText(received[2]) : received[2]
  if (headerSegment === null || payloadSegment === null || signatureSegment === null) return null
  const signature = decodeCanonicalBase64url(signatureSegment, checked)
  if (!signature) return null
  const protectedHeader = headerSegment === lastHeaderSegment && lastHeader !== null ? lastHeader : decodeProtectedHeader(headerSegment, checked)
  if (!protectedHeader) return null
  const payload = decodeJsonSegment(payloadSegment, checked)
  if (!payload) return null
  // A slice of the token, not a new concatenation: the same characters, no copy until they are encoded.
  const signingInput = token.slice(0, secondDot)
  return { protectedHeader, payload, signature, segments: received, signingInput }
}
