import { describe, expect, it } from 'vitest'
import { parseCompactJws } from '../src/compact-jws.js'

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const SIGNATURE = Buffer.alloc(32, 7).toString('base64url')

// Stage syntax's own rules are pinned by test-vectors/syntax.json; these pin what the parser shares between calls.
describe('parseCompactJws', () => {
  it('parses a protected header once per distinct header text and hands out a deeply frozen, shared object', () => {
    const header = segment({ alg: 'ES256', kid: 'k1', extra: { nested: ['x'] } })
    const first = parseCompactJws(`${header}.${segment({ sub: 'a' })}.${SIGNATURE}`)!
    const second = parseCompactJws(`${header}.${segment({ sub: 'b' })}.${SIGNATURE}`)!
    expect(second.protectedHeader).toBe(first.protectedHeader)
    expect(second.payload).not.toBe(first.payload)
    expect(Object.isFrozen(first.protectedHeader)).toBe(true)
    const extra = first.protectedHeader['extra'] as { nested: string[] }
    expect(Object.isFrozen(extra)).toBe(true)
    expect(Object.isFrozen(extra.nested)).toBe(true)
    expect(() => {
      ;(first.protectedHeader as Record<string, unknown>)['alg'] = 'none'
    }).toThrow(TypeError)
  })

  it('refuses a header text it refused before, every time (only parsed headers are remembered)', () => {
    const duplicate = Buffer.from('{"alg":"ES256","alg":"none"}').toString('base64url')
    for (let i = 0; i < 2; i++) expect(parseCompactJws(`${duplicate}.${segment({ sub: 'a' })}.${SIGNATURE}`)).toBeNull()
  })

  it('keeps working past its bound of remembered headers (forgotten all at once, then parsed again)', () => {
    const parsed = Array.from({ length: 200 }, (_, i) => parseCompactJws(`${segment({ alg: 'ES256', kid: `k${i}` })}.${segment({ sub: 'a' })}.${SIGNATURE}`))
    expect(parsed.map((jws) => jws?.protectedHeader['kid'])).toEqual(Array.from({ length: 200 }, (_, i) => `k${i}`))
  })
})
