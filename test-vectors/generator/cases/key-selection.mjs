import { fail, ok, token } from '../lib/dsl.mjs'

const unknownKey = fail('unknown_key')

/** @param {import('../lib/build.mjs').CaseContext} context */
export default (context) => {
  const { member } = context
  /** @param {Array<Record<string, unknown>>} keys */
  const jwks = (...keys) => ({ keys })
  return {
    description:
      'Key lookup (stage key_lookup) and signature: which key-set members are candidates for a token (kid, kty, crv, alg, use, key_ops, RSA size), and that key-bearing headers (jwk, jku, x5u, x5c) are never used.',
    vectors: [
      {
        slug: 'no-kid-single-key',
        description: 'No kid and a key set of one usable member: that member verifies.',
        jwks: jwks(member('test-rsa-a')),
        token: token({ kid: null }),
        expect: ok(),
      },
      {
        slug: 'no-kid-several-keys',
        description: 'No kid and several members: every usable member is tried; the last one verifies.',
        jwks: jwks(member('test-rsa-b'), member('test-ec-p256-a'), member('test-rsa-a')),
        token: token({ kid: null }),
        expect: ok(),
      },
      {
        slug: 'no-kid-several-ec-keys',
        description: 'No kid, two P-256 members; the second verifies the ES256 signature.',
        jwks: jwks(member('test-ec-p256-b'), member('test-ec-p256-a')),
        token: token({ alg: 'ES256', kid: null }),
        expect: ok(),
      },
      {
        slug: 'no-kid-none-verifies',
        description: 'No kid, signed by an unpublished key: the candidates exist but none verifies.',
        token: token({ key: 'test-attacker-rsa', kid: null }),
        expect: fail('invalid_signature'),
      },
      {
        slug: 'no-kid-no-usable-member',
        description: 'No kid, an EdDSA token, and a key set without any OKP Ed25519 member.',
        jwks: jwks(member('test-rsa-a'), member('test-ec-p256-a')),
        token: token({ alg: 'EdDSA', kid: null }),
        expect: unknownKey,
      },
      {
        slug: 'kid-not-in-set',
        description: 'kid test-rsa-b (signed by that key) is not published.',
        token: token({ key: 'test-rsa-b' }),
        expect: unknownKey,
      },
      { slug: 'kid-empty-string', description: 'kid "" matches no member.', token: token({ kid: '' }), expect: unknownKey },
      { slug: 'kid-case-differs', description: 'kid "TEST-RSA-A": kids compare exactly.', token: token({ kid: 'TEST-RSA-A' }), expect: unknownKey },
      { slug: 'kid-trailing-space', description: 'kid "test-rsa-a " (trailing space): kids compare exactly.', token: token({ kid: 'test-rsa-a ' }), expect: unknownKey },
      {
        slug: 'kid-path-traversal',
        description: 'kid "../../../../../../dev/null" is an opaque lookup key, never a path.',
        token: token({ kid: '../../../../../../dev/null' }),
        expect: unknownKey,
      },
      {
        slug: 'kid-sql-injection',
        description: "kid \"x' UNION SELECT '1';--\" is an opaque lookup key.",
        token: token({ kid: "x' UNION SELECT '1';--" }),
        expect: unknownKey,
      },
      {
        slug: 'kty-mismatch-rs256-names-ec-member',
        description: 'RS256 token whose kid names an EC member: kty does not fit the alg.',
        jwks: jwks(member('test-ec-p256-a', { kid: 'shared' }), member('test-rsa-a')),
        token: token({ kid: 'shared' }),
        expect: unknownKey,
      },
      {
        slug: 'kty-mismatch-es256-names-rsa-member',
        description: 'ES256 token whose kid names the RSA member test-rsa-a.',
        token: token({ alg: 'ES256', kid: 'test-rsa-a' }),
        expect: unknownKey,
      },
      {
        slug: 'crv-mismatch-es384-names-p256-member',
        description: 'ES384 token (P-384 key) whose kid names a P-256 member.',
        token: token({ alg: 'ES384', kid: 'test-ec-p256-a' }),
        expect: unknownKey,
      },
      {
        slug: 'crv-mismatch-es256-names-p384-member',
        description: 'ES256 token whose kid names a P-384 member.',
        token: token({ alg: 'ES256', kid: 'test-ec-p384' }),
        expect: unknownKey,
      },
      {
        slug: 'crv-mismatch-es512-names-p256-member',
        description: 'ES512 token whose kid names a P-256 member.',
        token: token({ alg: 'ES512', kid: 'test-ec-p256-a' }),
        expect: unknownKey,
      },
      {
        slug: 'okp-x25519-member-for-eddsa',
        description: 'EdDSA token whose kid names an X25519 (key agreement) member: the curve does not fit.',
        jwks: jwks(member('test-x25519'), member('test-ed25519')),
        token: token({ alg: 'EdDSA', kid: 'test-x25519' }),
        expect: unknownKey,
      },
      {
        slug: 'member-alg-matches',
        description: 'The member declares alg RS256 and the token is RS256: usable.',
        jwks: jwks(member('test-rsa-a', { alg: 'RS256' })),
        token: token({ alg: 'RS256' }),
        expect: ok(),
      },
      {
        slug: 'member-alg-rs256-token-ps256',
        description: 'The member declares alg RS256; a PS256 token with the same key may not use it.',
        jwks: jwks(member('test-rsa-a', { alg: 'RS256' })),
        token: token({ alg: 'PS256' }),
        expect: unknownKey,
      },
      {
        slug: 'member-alg-es384-token-es256',
        description: 'A P-256 member declaring alg ES384 cannot verify ES256.',
        jwks: jwks(member('test-ec-p256-a', { alg: 'ES384' })),
        token: token({ alg: 'ES256' }),
        expect: unknownKey,
      },
      {
        slug: 'member-use-absent',
        description: 'A member without use is usable.',
        jwks: jwks(member('test-rsa-a', { use: undefined })),
        token: token(),
        expect: ok(),
      },
      {
        slug: 'member-use-enc',
        description: 'A member with use "enc" is not usable for signatures.',
        jwks: jwks(member('test-rsa-a', { use: 'enc' })),
        token: token(),
        expect: unknownKey,
      },
      {
        slug: 'member-key-ops-verify',
        description: 'key_ops ["verify"] is usable.',
        jwks: jwks(member('test-rsa-a', { key_ops: ['verify'] })),
        token: token(),
        expect: ok(),
      },
      {
        slug: 'member-key-ops-sign-and-verify',
        description: 'key_ops ["sign","verify"] contains verify: usable.',
        jwks: jwks(member('test-rsa-a', { key_ops: ['sign', 'verify'] })),
        token: token(),
        expect: ok(),
      },
      {
        slug: 'member-key-ops-encrypt',
        description: 'key_ops ["encrypt"] lacks verify.',
        jwks: jwks(member('test-rsa-a', { key_ops: ['encrypt'] })),
        token: token(),
        expect: unknownKey,
      },
      {
        slug: 'member-key-ops-empty',
        description: 'key_ops [] lacks verify.',
        jwks: jwks(member('test-rsa-a', { key_ops: [] })),
        token: token(),
        expect: unknownKey,
      },
      {
        slug: 'member-rsa-1024',
        description: 'A published RSA-1024 member is too weak to use, though it would verify the signature.',
        jwks: jwks(member('test-rsa-1024'), member('test-rsa-a')),
        token: token({ key: 'test-rsa-1024' }),
        expect: unknownKey,
      },
      {
        slug: 'member-rsa-1024-no-kid',
        description: 'Without kid, an RSA-1024 member is still never a candidate.',
        jwks: jwks(member('test-rsa-1024')),
        token: token({ key: 'test-rsa-1024', kid: null }),
        expect: unknownKey,
      },
      {
        slug: 'duplicate-kid-second-verifies',
        description: 'Two members share the kid; the first (another key) fails, the second verifies: accepted.',
        jwks: jwks(member('test-rsa-b', { kid: 'test-rsa-a' }), member('test-rsa-a')),
        token: token(),
        expect: ok(),
      },
      {
        slug: 'duplicate-kid-only-wrong-key-usable',
        description: 'Two members share the kid; the right key is use "enc", the usable one is another key: invalid signature.',
        jwks: jwks(member('test-rsa-a', { use: 'enc' }), member('test-rsa-b', { kid: 'test-rsa-a' })),
        token: token(),
        expect: fail('invalid_signature'),
      },
      {
        slug: 'kid-names-other-published-key',
        description: 'Signed by test-rsa-b (published) but kid names test-rsa-a: only test-rsa-a is a candidate, invalid.',
        jwks: jwks(member('test-rsa-a'), member('test-rsa-b')),
        token: token({ key: 'test-rsa-b', kid: 'test-rsa-a' }),
        expect: fail('invalid_signature'),
      },
      {
        slug: 'embedded-jwk-ignored',
        description: 'Signed by the attacker, whose public key rides in the jwk header next to the published kid: jwk is ignored, invalid.',
        token: token({ key: 'test-attacker-rsa', kid: 'test-rsa-a', header: { jwk: member('test-attacker-rsa') } }),
        expect: fail('invalid_signature'),
      },
      {
        slug: 'embedded-jwk-without-kid-ignored',
        description: 'Embedded attacker jwk and no kid: the published members are tried and none verifies.',
        token: token({ key: 'test-attacker-rsa', kid: null, header: { jwk: member('test-attacker-rsa') } }),
        expect: fail('invalid_signature'),
      },
      {
        slug: 'embedded-jwk-legitimate-ignored',
        description: 'A jwk header carrying the genuine key does no harm: it is ignored and the set verifies.',
        token: token({ header: { jwk: member('test-rsa-a') } }),
        expect: ok(),
      },
      {
        slug: 'jku-never-fetched',
        description: 'jku points at an attacker key set with the attacker kid: never fetched, the kid is unknown.',
        token: token({ key: 'test-attacker-rsa', header: { jku: 'http://127.0.0.1:9/attacker-jwks.json' } }),
        expect: unknownKey,
      },
      {
        slug: 'x5u-never-fetched',
        description: 'x5u points at an attacker certificate with the attacker kid: never fetched, the kid is unknown.',
        token: token({ key: 'test-attacker-rsa', header: { x5u: 'http://127.0.0.1:9/attacker.pem' } }),
        expect: unknownKey,
      },
      {
        slug: 'x5c-ignored',
        description: 'An x5c chain next to the published kid, signed by the attacker: x5c is ignored, invalid.',
        token: token({ key: 'test-attacker-rsa', kid: 'test-rsa-a', header: { x5c: ['bm90LWEtY2VydGlmaWNhdGU'] } }),
        expect: fail('invalid_signature'),
      },
    ],
  }
}
