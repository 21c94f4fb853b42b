import * as crypto from 'node:crypto'
import type * as NodeCrypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type * as KeyMaterial from '../src/key-material.js'

// Counts OpenSSL imports (the expensive part of judging a key: an EC import multiplies the point by the group order).
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof NodeCrypto>()
  return { ...original, createPublicKey: vi.fn(original.createPublicKey) }
})
const imports = vi.mocked(crypto.createPublicKey)
let keyMaterialProblem: typeof KeyMaterial.keyMaterialProblem

// Loaded afresh: with isolation off, another test file may have loaded key-material.ts with the real node:crypto.
beforeAll(async () => {
  vi.resetModules()
  ;({ keyMaterialProblem } = await import('../src/key-material.js'))
})

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

  it('tells an absent member from every string (no text of the members stands for another set of members)', () => {
    const member = publicMember('test-ed25519')
    expect(keyMaterialProblem(member)).toBeNull()
    expect(keyMaterialProblem({ ...member, crv: undefined })).toBe('unsupported curve')
    expect(keyMaterialProblem({ ...member, crv: 'null' })).toBe('unsupported curve')
  })

  it('judges a member with a non-string material member every time, and stays right past its bound (300 materials)', () => {
    const member = publicMember('test-ec-p256-b')
    expect(keyMaterialProblem({ ...member, x: 12 })).toBe('EC x or y is not strict base64url')
    expect(keyMaterialProblem({ ...member, x: 12 })).toBe('EC x or y is not strict base64url')
    const problems = new Set<string | null>()
    for (let i = 0; i < 300; i++) problems.add(keyMaterialProblem({ kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(31, i).toString('base64url') }))
    expect([...problems]).toEqual(['OKP x is not 32 octets'])
    expect(keyMaterialProblem(member)).toBeNull()
  })
})
