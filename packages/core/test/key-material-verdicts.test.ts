import * as crypto from 'node:crypto'
import type * as NodeCrypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { keyMaterialProblem, rememberedKeyMaterials } from '../src/key-material.js'

// Counts OpenSSL imports (the expensive part of judging a key: an EC import multiplies the point by the group order).
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof NodeCrypto>()
  return { ...original, createPublicKey: vi.fn(original.createPublicKey) }
})
const imports = vi.mocked(crypto.createPublicKey)

const KEYS_DIR = join(import.meta.dirname, '..', '..', '..', 'test-vectors', 'keys')
function publicMember(name: string): Record<string, unknown> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...member } = JSON.parse(readFileSync(join(KEYS_DIR, `${name}.json`), 'utf8')) as Record<string, unknown>
  return member
}

// Braces: a function returned from beforeEach is called as its teardown.
beforeEach(() => {
  imports.mockClear()
})

describe('key material verdicts are remembered by material', () => {
  it('judges the same material once, whatever else the member holds (kid, a fresh object per key set refresh)', () => {
    // A key of its own: the count cannot depend on what was judged before.
    const member = crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey.export({ format: 'jwk' }) as Record<string, unknown>
    imports.mockClear()
    expect(keyMaterialProblem({ ...member, kid: 'first' })).toBeNull()
    const first = imports.mock.calls.length
    expect(first).toBe(1)
    for (let i = 0; i < 5; i++) expect(keyMaterialProblem({ ...member, kid: `refresh-${i}` })).toBeNull()
    expect(imports.mock.calls.length).toBe(first)
  })

  it('never answers one material with the verdict of another: a point moved off the curve is refused after its valid original', () => {
    const member = publicMember('test-ec-p256-a')
    expect(keyMaterialProblem(member)).toBeNull()
    // The last base64url character changed: still canonical, still below the prime, no longer on the curve.
    const y = member['y'] as string
    const offCurve = { ...member, y: y.slice(0, -1) + (y.endsWith('A') ? 'E' : 'A') }
    expect(keyMaterialProblem(offCurve)).toBe('EC point is not on the curve')
    expect(keyMaterialProblem(member)).toBeNull()
  })

  it('tells an absent member from every string, and keys of every member the rules read apart (kty, crv, n, e, x)', () => {
    const okp = publicMember('test-ed25519')
    expect(keyMaterialProblem(okp)).toBeNull()
    expect(keyMaterialProblem({ ...okp, x: undefined })).toBe('OKP x is not strict base64url')
    expect(keyMaterialProblem({ ...okp, x: 'null' })).toBe('OKP x is not 32 octets')
    expect(keyMaterialProblem({ ...okp, kty: 'EC' })).toBe('unsupported curve')
    expect(keyMaterialProblem({ ...okp, crv: 'Ed448' })).toBe('unsupported curve')
    // A member of one name holding what another holds: no text of the members stands for another set of them.
    expect(keyMaterialProblem({ kty: 'OKP', crv: 'Ed25519', n: okp['x'] })).toBe('OKP x is not strict base64url')
    const rsa = publicMember('test-rsa-a')
    expect(keyMaterialProblem(rsa)).toBeNull()
    expect(keyMaterialProblem({ ...rsa, n: publicMember('test-rsa-1024')['n'] })).toBe('RSA modulus under 2048 bits')
    expect(keyMaterialProblem({ ...rsa, e: 'AQ' })).toBe('RSA exponent is not odd, at least 3 and below n')
  })

  it('remembers no refusal of an import: a good RSA key refused while Object.prototype has a d imports once it is gone', () => {
    const member = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as Record<string, unknown>
    const prototype = Object.prototype as Record<string, unknown>
    prototype['d'] = 'AQAB'
    try {
      // node:crypto builds the JWK it imports as a plain object and reads d through its prototype: not ours to change.
      expect(keyMaterialProblem({ ...member })).toBe('RSA key does not import')
    } finally {
      delete prototype['d']
    }
    expect(keyMaterialProblem({ ...member })).toBeNull()
  })

  it('keeps no verdict for a text longer than any legal material: memory stays bounded whatever a key set holds', () => {
    const before = rememberedKeyMaterials()
    expect(keyMaterialProblem({ kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(1_000_000) })).toBe('OKP x is not 32 octets')
    expect(rememberedKeyMaterials()).toBe(before)
    // The largest legal material (an RSA-16384 modulus, about 2,750 characters) is still kept.
    expect(keyMaterialProblem({ kty: 'RSA', n: 'B'.repeat(2731), e: 'AQAB' })).not.toBeNull()
    expect(rememberedKeyMaterials()).toBe(before + 1)
  })

  it('judges a member with a non-string material member every time, and stays right past its bound (300 materials)', () => {
    const member = publicMember('test-ec-p256-b')
    expect(keyMaterialProblem({ ...member, x: 12 })).toBe('EC x or y is not strict base64url')
    expect(keyMaterialProblem({ ...member, x: 12 })).toBe('EC x or y is not strict base64url')
    const problems = new Set<string | null>()
    for (let i = 0; i < 300; i++) problems.add(keyMaterialProblem({ kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(31, i).toString('base64url') }))
    expect([...problems]).toEqual(['OKP x is not 32 octets'])
    expect(rememberedKeyMaterials()).toBeLessThanOrEqual(256)
    expect(keyMaterialProblem(member)).toBeNull()
  })
})
