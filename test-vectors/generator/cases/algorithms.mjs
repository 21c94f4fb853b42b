import { claims, fail, ok, token } from '../lib/dsl.mjs'
import { b64u, flipS, toDer } from '../lib/jws.mjs'
import { editSegment } from '../lib/edits.mjs'

const DEFAULT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
const ECDSA_SIZE = /** @type {Record<string, number>} */ ({ ES256: 32, ES384: 48, ES512: 66 })
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex')

const flipLastByte = (/** @type {Buffer} */ signature) => {
  const copy = Buffer.from(signature)
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x01
  return copy
}

/** The signature of one token pasted onto another (a tampered payload or header keeps the old signature). */
const tamperPayload = (/** @type {Record<string, unknown>} */ changes) => editSegment(1, () => b64u(JSON.stringify(claims(changes))))

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => ({
  description:
    'Every default algorithm verifies; none, HS*, case variants and algorithms off the allow-list are unsupported; a signature that does not verify (tampered, wrong key, DER or zero ECDSA) is invalid.',
  vectors: [
    ...DEFAULT_ALGORITHMS.map((alg) => ({
      slug: `valid-${alg.toLowerCase()}`,
      description: `A valid ${alg} assertion signed by a published key is accepted.`,
      token: token({ alg }),
      expect: ok(),
    })),
    {
      slug: 'allow-list-admits-listed',
      description: 'With TRUSTED_PROXY_ALGORITHMS=ES256 an ES256 assertion is accepted.',
      config: { TRUSTED_PROXY_ALGORITHMS: 'ES256' },
      token: token({ alg: 'ES256' }),
      expect: ok(),
    },
    {
      slug: 'allow-list-refuses-unlisted',
      description: 'With TRUSTED_PROXY_ALGORITHMS=ES256 a valid RS256 assertion is unsupported.',
      config: { TRUSTED_PROXY_ALGORITHMS: 'ES256' },
      token: token({ alg: 'RS256' }),
      expect: fail('unsupported_algorithm'),
    },
    {
      slug: 'allow-list-trims-items',
      description: 'List items are trimmed: " ES256 , EdDSA " admits EdDSA.',
      config: { TRUSTED_PROXY_ALGORITHMS: ' ES256 , EdDSA ' },
      token: token({ alg: 'EdDSA' }),
      expect: ok(),
    },
    ...[
      ['none', 'none'],
      ['None', 'none-capitalised'],
      ['NONE', 'none-uppercase'],
      ['nOnE', 'none-mixed-case'],
    ].map(([alg, slug]) => ({
      slug: `alg-${slug}-with-signature`,
      description: `alg "${alg}" with a leftover (RS256) signature segment is unsupported, whatever the signature.`,
      token: token({ alg, signAlg: 'RS256', kid: null }),
      expect: fail('unsupported_algorithm'),
    })),
    {
      slug: 'alg-none-empty-signature',
      description: 'The classic unsecured JWT (alg none, empty third segment) fails at syntax already: an empty segment is malformed.',
      token: token({ alg: 'none', signAlg: 'RS256', kid: null, signature: () => '' }),
      expect: fail('malformed_assertion'),
    },
    {
      slug: 'hs256-rsa-public-key-pem-as-secret',
      description: 'HS256 "signed" with the published RSA key (SPKI PEM) as the HMAC secret: key confusion, unsupported.',
      token: token({ alg: 'HS256', kid: 'test-rsa-a', hmacSecret: context.publicKeyPem('test-rsa-a') }),
      expect: fail('unsupported_algorithm'),
    },
    {
      slug: 'hs256-rsa-public-jwk-as-secret',
      description: 'HS256 with the published RSA member (JWK JSON text) as the HMAC secret is unsupported.',
      token: token({ alg: 'HS256', kid: 'test-rsa-a', hmacSecret: JSON.stringify(context.member('test-rsa-a')) }),
      expect: fail('unsupported_algorithm'),
    },
    {
      slug: 'hs256-ec-public-key-pem-without-kid',
      description: 'HS256 without kid, with the published P-256 key (PEM) as the secret, is unsupported.',
      token: token({ alg: 'HS256', kid: null, hmacSecret: context.publicKeyPem('test-ec-p256-a') }),
      expect: fail('unsupported_algorithm'),
    },
    ...[
      ['rs256', 'RS256', 'lowercase-rs256'],
      ['Rs256', 'RS256', 'mixed-case-rs256'],
      ['es256', 'ES256', 'lowercase-es256'],
      ['EDDSA', 'EdDSA', 'uppercase-eddsa'],
      ['eddsa', 'EdDSA', 'lowercase-eddsa'],
      ['RS256 ', 'RS256', 'trailing-space'],
      [' RS256', 'RS256', 'leading-space'],
    ].map(([alg, signAlg, slug]) => ({
      slug: `alg-${slug}`,
      description: `alg "${alg}" (a correct ${signAlg} signature) is not exactly on the allow-list: unsupported.`,
      token: token({ alg, signAlg }),
      expect: fail('unsupported_algorithm'),
    })),
    {
      slug: 'alg-ed25519-identifier',
      description: 'alg "Ed25519" (RFC 9864 name, valid Ed25519 signature) is not on the allow-list, which names EdDSA.',
      token: token({ alg: 'Ed25519', signAlg: 'EdDSA' }),
      expect: fail('unsupported_algorithm'),
    },
    {
      slug: 'alg-es256k',
      description: 'alg "ES256K" (an ES256 signature underneath) is unsupported.',
      token: token({ alg: 'ES256K', signAlg: 'ES256' }),
      expect: fail('unsupported_algorithm'),
    },
    {
      slug: 'alg-jwe-rsa-oaep',
      description: 'A JWE key-management alg ("RSA-OAEP") in a JWS header is unsupported.',
      token: token({ alg: 'RSA-OAEP', signAlg: 'RS256' }),
      expect: fail('unsupported_algorithm'),
    },
    {
      slug: 'alg-empty-string',
      description: 'alg "" is a string but not on the allow-list: unsupported.',
      token: token({ alg: '', signAlg: 'RS256' }),
      expect: fail('unsupported_algorithm'),
    },
    {
      slug: 'header-ps256-signature-rs256',
      description: 'Header says PS256 but the signature is RS256 (PKCS#1 v1.5) over the same input: invalid.',
      token: token({ alg: 'PS256', signAlg: 'RS256' }),
      expect: fail('invalid_signature'),
    },
    {
      slug: 'header-rs256-signature-ps256',
      description: 'Header says RS256 but the signature is PS256 over the same input: invalid.',
      token: token({ alg: 'RS256', signAlg: 'PS256' }),
      expect: fail('invalid_signature'),
    },
    {
      slug: 'header-rs384-signature-rs256',
      description: 'Header says RS384 but the signature is RS256 over the same input: invalid.',
      token: token({ alg: 'RS384', signAlg: 'RS256' }),
      expect: fail('invalid_signature'),
    },
    ...['ES256', 'ES384', 'ES512'].map((alg) => ({
      slug: `${alg.toLowerCase()}-der-signature`,
      description: `A correct ${alg} signature in ASN.1 DER form instead of raw r||s (RFC 7518 §3.4) is invalid.`,
      token: token({ alg, signature: (signature) => toDer(alg, signature) }),
      expect: fail('invalid_signature'),
    })),
    ...['ES256', 'ES384', 'ES512'].map((alg) => ({
      slug: `${alg.toLowerCase()}-r-s-zero`,
      description: `"Psychic signature" r = s = 0 (CVE-2022-21449) for ${alg} is invalid.`,
      token: token({ alg, signature: () => Buffer.alloc(2 * (ECDSA_SIZE[alg] ?? 0)) }),
      expect: fail('invalid_signature'),
    })),
    {
      slug: 'es256-r-s-order',
      description: 'ES256 with r = s = n (the curve order) is invalid.',
      token: token({ alg: 'ES256', signature: () => Buffer.concat([P256_ORDER, P256_ORDER]) }),
      expect: fail('invalid_signature'),
    },
    ...['ES256', 'ES512'].map((alg) => ({
      slug: `${alg.toLowerCase()}-high-s`,
      description: `The high-S twin (r, n - s) of a valid ${alg} signature is itself a valid ECDSA signature; JWS does not require low S: accepted.`,
      token: token({ alg, signature: (signature) => flipS(alg, signature) }),
      expect: ok(),
    })),
    {
      slug: 'es256-signature-one-byte-long',
      description: 'A valid ES256 signature with one extra zero byte (65 bytes) is invalid.',
      token: token({ alg: 'ES256', signature: (signature) => Buffer.concat([signature, Buffer.from([0])]) }),
      expect: fail('invalid_signature'),
    },
    {
      slug: 'es256-signature-one-byte-short',
      description: 'A valid ES256 signature missing its last byte (63 bytes) is invalid.',
      token: token({ alg: 'ES256', signature: (signature) => signature.subarray(0, 63) }),
      expect: fail('invalid_signature'),
    },
    ...['RS256', 'PS256', 'ES256', 'EdDSA'].map((alg) => ({
      slug: `${alg.toLowerCase()}-signature-bit-flipped`,
      description: `A ${alg} signature with one bit of its last byte flipped is invalid.`,
      token: token({ alg, signature: flipLastByte }),
      expect: fail('invalid_signature'),
    })),
    {
      slug: 'rs256-signature-zeros',
      description: 'An RS256 signature of 256 zero bytes is invalid.',
      token: token({ signature: () => Buffer.alloc(256) }),
      expect: fail('invalid_signature'),
    },
    {
      slug: 'rs256-signature-one-byte',
      description: 'An RS256 signature segment of a single byte is invalid.',
      token: token({ signature: () => Buffer.from([1]) }),
      expect: fail('invalid_signature'),
    },
    ...['RS256', 'ES256', 'EdDSA'].map((alg) => ({
      slug: `${alg.toLowerCase()}-payload-tampered`,
      description: `A valid ${alg} assertion whose payload was changed to sub "admin" (old signature kept) is invalid.`,
      token: token({ alg, edit: tamperPayload({ sub: 'admin' }) }),
      expect: fail('invalid_signature'),
    })),
    {
      slug: 'rs256-header-tampered',
      description: 'A valid RS256 assertion whose header gained a member after signing is invalid.',
      token: token({ edit: editSegment(0, () => b64u(JSON.stringify({ alg: 'RS256', kid: 'test-rsa-a', typ: 'JWT', x: 1 }))) }),
      expect: fail('invalid_signature'),
    },
    ...[
      ['RS256', 'test-attacker-rsa', 'test-rsa-a'],
      ['ES256', 'test-attacker-ec-p256', 'test-ec-p256-a'],
      ['EdDSA', 'test-attacker-ed25519', 'test-ed25519'],
    ].map(([alg, key, kid]) => ({
      slug: `${alg?.toLowerCase()}-signed-by-attacker-key`,
      description: `${alg} signed by an unpublished attacker key but naming the published kid ${kid}: invalid.`,
      token: token({ alg, key, kid }),
      expect: fail('invalid_signature'),
    })),
  ],
})
