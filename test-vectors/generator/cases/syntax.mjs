import { claims, fail, ok, token } from '../lib/dsl.mjs'
import {
  addPadding,
  bytesReplacing,
  editSegment,
  impossibleLength,
  insertAt,
  replaceAt,
  wideTwin,
  jsonReplacing,
  jsonWithMembers,
  nestedArrays,
  segments,
  setTrailingBits,
  standardAlphabet,
} from '../lib/edits.mjs'

const HEADER = { alg: 'RS256', kid: 'test-rsa-a', typ: 'JWT' }
const HEADER_JSON = JSON.stringify(HEADER)
const CLAIMS = claims()
const CLAIMS_JSON = JSON.stringify(CLAIMS)
const malformed = fail('malformed_assertion')

/** A vector whose RS256 token gets the byte edit `edit`. @param {string} slug @param {string} description @param {(token: string) => string} edit */
const edited = (slug, description, edit) => ({ slug, description, token: token({ edit }), expect: malformed })

/** A correctly signed RS256 token over these exact payload bytes. @param {string} slug @param {string} description @param {string | Uint8Array} payloadJson */
const payloadBytes = (slug, description, payloadJson, expect = malformed) => ({ slug, description, token: token({ payloadJson }), expect })

/** A correctly signed RS256 token over these exact header bytes. @param {string} slug @param {string} description @param {string | Uint8Array} headerJson */
const headerBytes = (slug, description, headerJson) => ({ slug, description, token: token({ headerJson }), expect: malformed })

export default () => ({
  description:
    'Strict compact JWS syntax (stage syntax): exactly three canonical base64url segments, header and payload UTF-8 JSON objects without duplicate names, non-JSON literals or nesting beyond 32. Tokens are correctly signed over the broken bytes, so only the syntax check can refuse them.',
  vectors: [
    edited('two-segments', 'Header and payload only (no signature segment, no second dot).', (t) => segments(t).slice(0, 2).join('.')),
    edited('one-segment', 'Only the header segment.', (t) => segments(t)[0] ?? ''),
    edited('four-segments', 'A fourth segment (the signature repeated).', (t) => `${t}.${segments(t)[2]}`),
    edited('five-segments-jwe-shape', 'Five segments, the shape of a JWE.', (t) => `${t}.AAAA.AAAA`),
    edited('trailing-dot', 'A trailing dot makes a fourth, empty segment.', (t) => `${t}.`),
    edited('leading-dot', 'A leading dot makes an empty first segment and four in all.', (t) => `.${t}`),
    edited('empty-header-segment', 'The header segment is empty.', (t) => `.${segments(t).slice(1).join('.')}`),
    edited('empty-payload-segment', 'The payload segment is empty.', (t) => `${segments(t)[0]}..${segments(t)[2]}`),
    edited('empty-signature-segment', 'The signature segment is empty (unsecured-JWT shape with a real alg).', (t) => `${segments(t).slice(0, 2).join('.')}.`),
    edited('only-dots', 'Two dots and nothing else.', () => '..'),
    edited('header-padding', 'The header segment carries base64 "=" padding.', editSegment(0, addPadding)),
    edited('signature-padding', 'The signature segment carries base64 "=" padding.', editSegment(2, addPadding)),
    edited('signature-standard-alphabet-plus', 'The signature uses "+" (standard base64) where base64url has "-".', editSegment(2, standardAlphabet('-'))),
    edited('signature-standard-alphabet-slash', 'The signature uses "/" (standard base64) where base64url has "_".', editSegment(2, standardAlphabet('_'))),
    edited('signature-trailing-bits', 'The last signature character has non-zero unused bits: lenient decoders give the same bytes.', editSegment(2, setTrailingBits)),
    edited('header-trailing-bits', 'The last header character has non-zero unused bits.', editSegment(0, setTrailingBits)),
    edited('signature-impossible-length', 'The signature segment length is 1 mod 4, which no byte string encodes to.', editSegment(2, impossibleLength)),
    edited('space-in-signature', 'A space inside the signature segment.', editSegment(2, insertAt(20, ' '))),
    edited('space-after-dot', 'A space at the start of the payload segment.', editSegment(1, insertAt(0, ' '))),
    edited('leading-space', 'A space before the token.', (t) => ` ${t}`),
    edited('trailing-space', 'A space after the token.', (t) => `${t} `),
    edited('trailing-newline', 'A newline after the token.', (t) => `${t}\n`),
    edited('tab-in-payload', 'A tab inside the payload segment.', editSegment(1, insertAt(10, '\t'))),
    edited('percent-encoded-character', 'A percent-encoded character ("%2D") in the signature segment.', editSegment(2, insertAt(10, '%2D'))),
    edited('asterisk-in-header', 'A character outside every base64 alphabet ("*") in the header segment.', editSegment(0, insertAt(4, '*'))),
    edited('signature-wide-character-twin', 'A signature character replaced by the U+01xx character whose low byte it is: a decoder that keeps only low bytes reads the valid signature.', editSegment(2, replaceAt(10, wideTwin))),
    edited('header-wide-character-twin', 'A header character replaced by its U+01xx twin (the same low byte).', editSegment(0, replaceAt(5, wideTwin))),
    edited('payload-wide-character-twin', 'A payload character replaced by its U+01xx twin (the same low byte).', editSegment(1, replaceAt(7, wideTwin))),
    edited('signature-latin1-character', 'A signature character replaced by "é" (U+00E9, outside every base64 alphabet, one byte in Latin-1).', editSegment(2, replaceAt(10, () => '\u00e9'))),
    edited('payload-latin1-character', 'A payload character replaced by "é" (U+00E9).', editSegment(1, replaceAt(7, () => '\u00e9'))),
    headerBytes('header-json-array', 'The header is a JSON array holding the header object.', `[${HEADER_JSON}]`),
    payloadBytes('payload-json-array', 'The payload is a JSON array holding the claims object.', `[${CLAIMS_JSON}]`),
    payloadBytes('payload-json-string', 'The payload is a JSON string.', '"user-123"'),
    payloadBytes('payload-json-number', 'The payload is a JSON number.', '1700000300'),
    payloadBytes('payload-json-null', 'The payload is JSON null.', 'null'),
    payloadBytes('payload-json-true', 'The payload is JSON true.', 'true'),
    headerBytes('header-not-json', 'The header bytes are the text RS256, not JSON.', 'RS256'),
    payloadBytes('payload-not-json', 'The payload bytes are plain text.', 'sub=user-123'),
    payloadBytes('payload-truncated-json', 'The payload is "{" only (truncated JSON).', '{'),
    {
      slug: 'payload-nested-jws',
      description: 'The payload is itself a compact JWS (a nested JWT, cty JWT): never unwrapped, so not a JSON object.',
      token: token({ header: { cty: 'JWT' }, payloadJson: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2ln' }),
      expect: malformed,
    },
    headerBytes('header-duplicate-alg', 'The header has alg twice ("RS256", then "none"): parsers disagree which wins.', '{"alg":"RS256","kid":"test-rsa-a","alg":"none"}'),
    headerBytes('header-duplicate-kid', 'The header has kid twice.', '{"alg":"RS256","kid":"test-rsa-b","kid":"test-rsa-a"}'),
    headerBytes('header-duplicate-nested', 'The header has a duplicate name inside a nested object.', '{"alg":"RS256","kid":"test-rsa-a","x-ext":{"a":1,"a":1}}'),
    payloadBytes('payload-duplicate-sub', 'The payload has sub twice ("user-123", then "admin").', jsonWithMembers(CLAIMS, '"sub":"admin"')),
    payloadBytes('payload-duplicate-iss', 'The payload has iss twice.', jsonWithMembers(CLAIMS, '"iss":"https://evil.example"')),
    payloadBytes('payload-duplicate-same-value', 'The payload has exp twice with the same value: still a duplicate.', jsonWithMembers(CLAIMS, `"exp":${CLAIMS['exp']}`)),
    payloadBytes('payload-duplicate-escaped-name', 'The payload has "sub" and "s\\u0075b", the same name once unescaped.', jsonWithMembers(CLAIMS, '"s\\u0075b":"admin"')),
    payloadBytes('payload-duplicate-nested-object', 'A nested object in the payload has a duplicate name.', jsonWithMembers(CLAIMS, '"profile":{"role":"user","role":"admin"}')),
    payloadBytes('payload-duplicate-in-array', 'An object inside an array in the payload has a duplicate name.', jsonWithMembers(CLAIMS, '"items":[{"id":1},{"id":2,"id":3}]')),
    payloadBytes('payload-invalid-utf8-ff', 'The payload contains the byte 0xFF, which is never valid UTF-8.', bytesReplacing(JSON.stringify(claims({ name: 'Alice@@' })), '@@', [0xff])),
    payloadBytes('payload-invalid-utf8-overlong', 'The payload contains an overlong UTF-8 encoding of "/" (C0 AF).', bytesReplacing(JSON.stringify(claims({ name: 'Alice@@' })), '@@', [0xc0, 0xaf])),
    payloadBytes('payload-invalid-utf8-surrogate', 'The payload contains a UTF-8-encoded surrogate (ED A0 80).', bytesReplacing(JSON.stringify(claims({ name: 'Alice@@' })), '@@', [0xed, 0xa0, 0x80])),
    payloadBytes('payload-invalid-utf8-truncated', 'The payload contains a truncated three-byte sequence (E2 82) before the closing quote.', bytesReplacing(JSON.stringify(claims({ name: 'Alice@@' })), '@@', [0xe2, 0x82])),
    headerBytes('header-invalid-utf8', 'The header contains the byte 0xFE.', bytesReplacing('{"alg":"RS256","kid":"test-rsa-a","x":"@@"}', '@@', [0xfe])),
    payloadBytes('payload-utf8-bom', 'The payload starts with a UTF-8 byte order mark, which is not part of JSON text.', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CLAIMS_JSON)])),
    payloadBytes('payload-nan-literal', 'exp is the non-JSON literal NaN.', jsonReplacing(CLAIMS, `"exp":${CLAIMS['exp']}`, '"exp":NaN')),
    payloadBytes('payload-infinity-literal', 'exp is the non-JSON literal Infinity.', jsonReplacing(CLAIMS, `"exp":${CLAIMS['exp']}`, '"exp":Infinity')),
    payloadBytes('payload-negative-infinity-in-other-claim', 'An unmapped claim is the non-JSON literal -Infinity.', jsonWithMembers(CLAIMS, '"score":-Infinity')),
    payloadBytes('payload-number-overflow-in-other-claim', 'An unmapped claim is 1e309, which overflows to infinity: an identity could not carry it, so it is refused like Infinity.', jsonWithMembers(CLAIMS, '"score":1e309')),
    payloadBytes('payload-trailing-garbage', 'Text after the JSON object.', `${CLAIMS_JSON} x`),
    payloadBytes('payload-two-objects', 'Two JSON objects back to back.', `${CLAIMS_JSON}{}`),
    payloadBytes('payload-comment', 'A /* comment */ inside the JSON.', jsonWithMembers(CLAIMS, '/* admin */"x":1')),
    payloadBytes('payload-trailing-comma', 'A trailing comma before the closing brace.', jsonWithMembers(CLAIMS, '"x":1,')),
    payloadBytes('payload-single-quotes', 'A member name in single quotes.', jsonWithMembers(CLAIMS, "'x':1")),
    payloadBytes('payload-unquoted-name', 'An unquoted member name.', jsonWithMembers(CLAIMS, 'x:1')),
    payloadBytes('payload-raw-control-character', 'A raw (unescaped) tab inside a string.', jsonWithMembers(CLAIMS, '"note":"a\tb"')),
    payloadBytes('payload-leading-zero-number', 'A number with a leading zero.', jsonWithMembers(CLAIMS, '"level":01')),
    payloadBytes('payload-hex-number', 'A hexadecimal number.', jsonWithMembers(CLAIMS, '"level":0x10')),
    payloadBytes('payload-depth-32', 'A payload nested exactly 32 deep (the outer object is level 1) is within the limit.', jsonWithMembers(CLAIMS, `"deep":${nestedArrays(32)}`), ok()),
    payloadBytes('payload-depth-33', 'A payload nested 33 deep (the outer object is level 1) is beyond limits.maxJsonDepth.', jsonWithMembers(CLAIMS, `"deep":${nestedArrays(33)}`)),
    payloadBytes('payload-depth-33-objects', 'Objects nested 33 deep.', jsonWithMembers(CLAIMS, `"deep":${'{"a":'.repeat(31)}{}${'}'.repeat(31)}`)),
    payloadBytes('payload-depth-5000', 'Arrays nested 5000 deep must be refused without exhausting the stack.', jsonWithMembers(CLAIMS, `"deep":${nestedArrays(5000)}`)),
    headerBytes('header-depth-33', 'A header nested 33 deep.', jsonWithMembers(HEADER, `"x-ext":${nestedArrays(33)}`)),
    payloadBytes('payload-surrounding-whitespace', 'JSON whitespace around the payload object is valid JSON: accepted.', ` \n${CLAIMS_JSON}\r\n\t`, ok()),
    payloadBytes('payload-escaped-characters', 'Escaped characters in payload strings decode normally: accepted.', jsonReplacing(CLAIMS, '"name":"Alice Example"', '"name":"Al\\u0069ce \\"Ex\\" \\/ \\u00e9"'), ok({ name: 'Alice "Ex" / é' })),
  ],
})
