// Key usability by rule (contract/checks.json `keyUsability`): a key-set member is used only when its key
// material is a valid public key of its type, decided the same way by every implementation.
import { createHash } from 'node:crypto'
import { fail, ok, token } from '../lib/dsl.mjs'

const unknownKey = fail('unknown_key')

/** DER DigestInfo prefix of SHA-256 (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex')

/**
 * Replaces the signature by EMSA-PKCS1-v1_5(SHA-256(signing input)) for a 2048-bit modulus: with e = 1 that
 * encoding is its own "signature", made without any private key.
 * @param {string} assembled
 */
function forgeForExponentOne(assembled) {
  const signingInput = assembled.split('.').slice(0, 2).join('.')
  const digest = createHash('sha256').update(signingInput).digest()
  const suffix = Buffer.concat([SHA256_DIGEST_INFO, digest])
  const encoded = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(256 - 3 - suffix.length, 0xff), Buffer.from([0]), suffix])
  return `${signingInput}.${encoded.toString('base64url')}`
}

/** @param {string} text */
const bytesOf = (text) => Buffer.from(text, 'base64url')
/** @param {Uint8Array} bytes */
const encode = (bytes) => Buffer.from(bytes).toString('base64url')
/** The same octets in standard base64 (`+`, `/`), without padding. @param {string} text */
const standardBase64 = (text) => {
  if (!/[-_]/.test(text)) throw new Error('the value has no - or _ to turn into + or /')
  return text.replaceAll('-', '+').replaceAll('_', '/')
}
/** The last character changed so that the unused final bits are not zero (a non-canonical encoding). @param {string} text */
const nonZeroFinalBits = (text) => {
  if (text.length % 4 === 0) throw new Error('a value without unused bits')
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  return text.slice(0, -1) + alphabet[alphabet.indexOf(text.at(-1) ?? 'A') ^ 1]
}

/** Field prime of P-256 (FIPS 186-4 D.1.2.3), as a 32-octet coordinate: never a valid x. */
const P256_PRIME = Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex')

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  const { member } = context
  /** @param {Array<Record<string, unknown>>} keys */
  const jwks = (...keys) => ({ keys })
  const rsa = /** @type {Record<string, string>} */ (member('test-rsa-a'))
  const ec = /** @type {Record<string, string>} */ (member('test-ec-p256-a'))
  const okp = /** @type {Record<string, string>} */ (member('test-ed25519'))
  const n = rsa['n'] ?? ''
  const zeroX = /** @type {Record<string, string>} */ (member('test-ec-p256-x-leading-zero'))

  /** An RS256 token of test-rsa-a checked against test-rsa-a's member with `changes`. */
  const rsaMember = (/** @type {string} */ slug, /** @type {string} */ description, /** @type {Record<string, unknown>} */ changes, expect = unknownKey) => ({
    slug,
    description,
    jwks: jwks(member('test-rsa-a', changes)),
    token: token(),
    expect,
  })
  const ecMember = (/** @type {string} */ slug, /** @type {string} */ description, /** @type {Record<string, unknown>} */ changes) => ({
    slug,
    description,
    jwks: jwks(member('test-ec-p256-a', changes)),
    token: token({ alg: 'ES256' }),
    expect: unknownKey,
  })
  const okpMember = (/** @type {string} */ slug, /** @type {string} */ description, /** @type {Record<string, unknown>} */ changes) => ({
    slug,
    description,
    jwks: jwks(member('test-ed25519', changes)),
    token: token({ alg: 'EdDSA' }),
    expect: unknownKey,
  })

  return {
    description:
      'Key usability by rule (contract/checks.json keyUsability): RSA e odd, at least 3 and below n, n of 2048 to 16384 bits without the ROCA fingerprint; EC coordinates exactly the curve size, below the field prime, the point on the curve; Ed25519 x of 32 octets; every key member strict base64url. An unusable member is skipped, so its kid answers unknown_key.',
    vectors: [
      {
        slug: 'rsa-exponent-1-forgery',
        description:
          'A member with e = 1 ("AQ") and the "signature" EMSA-PKCS1-v1_5(SHA-256(signing input)), made without a private key: with e = 1 it would verify, so the member must be unusable.',
        jwks: jwks({ kty: 'RSA', n, e: 'AQ', kid: 'k', alg: 'RS256' }),
        token: token({ kid: 'k', claims: { sub: 'admin' }, edit: forgeForExponentOne }),
        expect: unknownKey,
      },
      rsaMember('rsa-exponent-even', 'e = 65536 (even): not an RSA public exponent (RFC 8017 §3.1).', { e: 'AQAA' }),
      rsaMember('rsa-exponent-2', 'e = 2: even.', { e: 'Ag' }),
      rsaMember('rsa-exponent-0', 'e = 0 ("AA").', { e: 'AA' }),
      rsaMember('rsa-exponent-not-below-n', 'e = n + 2 (odd, but not below n).', { e: encode(Buffer.from((BigInt('0x' + bytesOf(n).toString('hex')) + 2n).toString(16), 'hex')) }),
      rsaMember('rsa-exponent-leading-zero', 'e = 65537 written with a leading zero octet ("AAEAAQ"): the value counts, the key is usable.', { e: 'AAEAAQ' }, ok()),
      {
        slug: 'rsa-exponent-3',
        description: 'e = 3 is a valid public exponent: the member is usable and verifies.',
        jwks: jwks(member('test-rsa-e3')),
        token: token({ key: 'test-rsa-e3' }),
        expect: ok(),
      },
      {
        slug: 'rsa-modulus-2047-bits',
        description: 'A 2047-bit modulus, though it would verify the signature: under 2048 bits.',
        jwks: jwks(member('test-rsa-2047')),
        token: token({ key: 'test-rsa-2047' }),
        expect: unknownKey,
      },
      {
        slug: 'rsa-modulus-2047-bits-leading-zero',
        description: 'The 2047-bit modulus with a leading zero octet (257 octets): leading zeros do not count toward the size.',
        jwks: jwks(member('test-rsa-2047', { n: encode(Buffer.concat([Buffer.from([0]), bytesOf(/** @type {string} */ (member('test-rsa-2047')['n']))])) })),
        token: token({ key: 'test-rsa-2047' }),
        expect: unknownKey,
      },
      rsaMember('rsa-modulus-leading-zero', 'n with a leading zero octet: the same value (Base64urlUInt asks producers for minimal octets; tolerated), usable.', { n: encode(Buffer.concat([Buffer.from([0]), bytesOf(n)])) }, ok()),
      {
        slug: 'rsa-modulus-roca-fingerprint',
        description: 'A 2048-bit modulus of the ROCA form (CVE-2017-15361), and a token it really signed: refused by the fingerprint.',
        jwks: jwks(member('test-rsa-roca')),
        token: token({ key: 'test-rsa-roca' }),
        expect: unknownKey,
      },
      rsaMember('rsa-modulus-standard-base64', 'n in standard base64 (`+` and `/`): not base64url (RFC 7515 §2).', { n: standardBase64(n) }),
      rsaMember('rsa-modulus-line-break', 'n with a line break inside: base64url has no whitespace.', { n: `${n.slice(0, 64)}\n${n.slice(64)}` }),
      rsaMember('rsa-modulus-space', 'n with a trailing space.', { n: `${n} ` }),
      rsaMember('rsa-modulus-padded', 'n with `=` padding: base64url here has none.', { n: `${n}${'='.repeat((4 - (n.length % 4)) % 4)}` }),
      rsaMember('rsa-modulus-non-canonical-bits', 'n whose unused final bits are not zero: not the canonical encoding.', { n: nonZeroFinalBits(n) }),
      rsaMember('rsa-modulus-not-a-string', 'n is a JSON number.', { n: 12345 }),
      rsaMember('rsa-modulus-missing', 'n is absent.', { n: undefined }),
      rsaMember('rsa-exponent-standard-base64', 'e "AQAB" followed by padding "=".', { e: 'AQAB=' }),
      {
        slug: 'ec-x-31-octets',
        description: 'P-256 x whose first octet is zero, written as 31 octets (the same point): coordinates must be exactly 32 octets (RFC 7518 §6.2.1.2).',
        jwks: jwks(member('test-ec-p256-x-leading-zero', { x: encode(bytesOf(zeroX['x'] ?? '').subarray(1)) })),
        token: token({ alg: 'ES256', key: 'test-ec-p256-x-leading-zero' }),
        expect: unknownKey,
      },
      {
        slug: 'ec-x-32-octets-leading-zero',
        description: 'The same key with its x at the full 32 octets (first octet zero): usable.',
        jwks: jwks(member('test-ec-p256-x-leading-zero')),
        token: token({ alg: 'ES256', key: 'test-ec-p256-x-leading-zero' }),
        expect: ok(),
      },
      ecMember('ec-x-33-octets', 'P-256 x with a leading zero octet (33 octets, the same value).', { x: encode(Buffer.concat([Buffer.from([0]), bytesOf(ec['x'] ?? '')])) }),
      ecMember('ec-y-33-octets', 'P-256 y with a leading zero octet (33 octets).', { y: encode(Buffer.concat([Buffer.from([0]), bytesOf(ec['y'] ?? '')])) }),
      ecMember('ec-point-off-curve', 'P-256 y with its last bit flipped: the point is not on the curve.', {
        y: encode(Buffer.concat([bytesOf(ec['y'] ?? '').subarray(0, 31), Buffer.from([(bytesOf(ec['y'] ?? '')[31] ?? 0) ^ 1])])),
      }),
      ecMember('ec-x-is-field-prime', 'P-256 x equal to the field prime: not a coordinate.', { x: encode(P256_PRIME) }),
      ecMember('ec-x-standard-base64', 'P-256 x in standard base64.', { x: /[-_]/.test(ec['x'] ?? '') ? standardBase64(ec['x'] ?? '') : `${ec['x']}+` }),
      ecMember('ec-x-padded', 'P-256 x with `=` padding.', { x: `${ec['x']}=` }),
      ecMember('ec-y-missing', 'P-256 member without y.', { y: undefined }),
      ecMember('ec-p384-with-p256-coordinates', 'crv P-384 with 32-octet coordinates.', { crv: 'P-384' }),
      okpMember('okp-x-33-octets', 'Ed25519 x with a leading zero octet (33 octets).', { x: encode(Buffer.concat([Buffer.from([0]), bytesOf(okp['x'] ?? '')])) }),
      okpMember('okp-x-31-octets', 'Ed25519 x without its last octet (31 octets).', { x: encode(bytesOf(okp['x'] ?? '').subarray(0, 31)) }),
      okpMember('okp-x-padded', 'Ed25519 x with `=` padding.', { x: `${okp['x']}=` }),
      okpMember('okp-x-line-break', 'Ed25519 x with a line break inside.', { x: `${(okp['x'] ?? '').slice(0, 20)}\n${(okp['x'] ?? '').slice(20)}` }),
      {
        slug: 'unusable-member-beside-usable',
        description: 'An unusable member (e = 1) does not spoil the set: the usable member of another kid still verifies.',
        jwks: jwks({ kty: 'RSA', n, e: 'AQ', kid: 'k', alg: 'RS256' }, member('test-rsa-a')),
        token: token(),
        expect: ok(),
      },
      {
        slug: 'unusable-member-same-kid-as-usable',
        description: 'Two members with one kid, the first with e = 1: it is skipped and the usable one verifies.',
        jwks: jwks(member('test-rsa-a', { e: 'AQ' }), member('test-rsa-a')),
        token: token(),
        expect: ok(),
      },
      {
        slug: 'no-kid-only-unusable-members',
        description: 'No kid and only unusable members (e = 1, e even): unknown_key, not invalid_signature.',
        jwks: jwks(member('test-rsa-a', { e: 'AQ' }), member('test-rsa-b', { e: 'AQAA' })),
        token: token({ kid: null, edit: forgeForExponentOne }),
        expect: unknownKey,
      },
    ],
  }
}
