import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { keyMaterialProblem } from '../src/key-material.js'
import { hasRocaFingerprint } from '../src/roca-fingerprint.js'

const KEYS_DIR = join(import.meta.dirname, '..', '..', '..', 'test-vectors', 'keys')
const modulus = (name: string): bigint => {
  const jwk = JSON.parse(readFileSync(join(KEYS_DIR, `${name}.json`), 'utf8')) as { n: string }
  return BigInt('0x' + Buffer.from(jwk.n, 'base64url').toString('hex'))
}

describe('ROCA fingerprint (CVE-2017-15361)', () => {
  test('found in a modulus of the ROCA form', () => {
    expect(hasRocaFingerprint(modulus('test-rsa-roca'))).toBe(true)
  })
  test.each(['test-rsa-a', 'test-rsa-b', 'test-attacker-rsa', 'test-rsa-e3', 'test-rsa-2047', 'test-rsa-1024'])('absent from the ordinary modulus of %s', (name) => {
    expect(hasRocaFingerprint(modulus(name))).toBe(false)
  })
})

test('reasons hold no key material', () => {
  const material = 'x'.repeat(10)
  for (const member of [
    { kty: 'RSA', n: material, e: 'AQ' },
    { kty: 'EC', crv: 'P-256', x: material, y: material },
    { kty: 'OKP', crv: 'Ed25519', x: material },
  ]) {
    const reason = keyMaterialProblem(member)
    expect(reason).not.toBeNull()
    expect(reason).not.toContain(material)
  }
})
