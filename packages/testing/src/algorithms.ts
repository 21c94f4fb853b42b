import { generateKeyPair, type CryptoKey } from 'jose'

/** The asymmetric JWS algorithms a test issuer can sign with (the verifier's allow-list in contract/env.json). */
export const TEST_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const

export type TestAlgorithm = (typeof TEST_ALGORITHMS)[number]

export interface TestKeyPair {
  readonly publicKey: CryptoKey
  readonly privateKey: CryptoKey
}

export function isTestAlgorithm(value: unknown): value is TestAlgorithm {
  return typeof value === 'string' && (TEST_ALGORITHMS as readonly string[]).includes(value)
}

export function assertTestAlgorithm(value: unknown): asserts value is TestAlgorithm {
  if (!isTestAlgorithm(value)) {
    throw new TypeError(`unsupported test algorithm ${JSON.stringify(value)}; use one of ${TEST_ALGORITHMS.join(', ')}`)
  }
}

const isRsa = (alg: TestAlgorithm): boolean => alg.startsWith('RS') || alg.startsWith('PS')

const hashBits = (alg: TestAlgorithm): number => Number(alg.slice(-3))

/**
 * Generates an extractable key pair so the public half can be exported to a JWKS.
 * jose refuses RSA moduli under 2048 bits, so a deliberately weak key (to test that verifiers refuse it)
 * comes straight from WebCrypto.
 */
export async function generateTestKeyPair(alg: TestAlgorithm, rsaModulusLength = 2048): Promise<TestKeyPair> {
  if (isRsa(alg) && rsaModulusLength < 2048) {
    const pair = await crypto.subtle.generateKey(
      {
        name: alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5',
        modulusLength: rsaModulusLength,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: `SHA-${hashBits(alg)}`,
      },
      true,
      ['sign', 'verify'],
    )
    return { publicKey: pair.publicKey, privateKey: pair.privateKey }
  }
  return generateKeyPair(alg, {
    extractable: true,
    ...(isRsa(alg) ? { modulusLength: rsaModulusLength } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  })
}

/** WebCrypto parameters that produce a JWS signature (RFC 7518 section 3) for `alg`. */
export function signingParameters(alg: TestAlgorithm): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  if (alg.startsWith('RS')) return { name: 'RSASSA-PKCS1-v1_5' }
  // RFC 7518 3.5: the PSS salt is as long as the hash output.
  if (alg.startsWith('PS')) return { name: 'RSA-PSS', saltLength: hashBits(alg) / 8 }
  // WebCrypto's ECDSA output is already the fixed-width R || S the JWS format wants.
  if (alg.startsWith('ES')) return { name: 'ECDSA', hash: `SHA-${hashBits(alg)}` }
  return { name: 'Ed25519' }
}
