import { describe, expect, it } from 'vitest'
import type { TrustedProxyAuthError } from '../src/index.js'
import { extractAssertion, headerPairs, headerValues } from '../src/request-headers.js'
import { isTrustedPeer, parseAddressRange, type AddressRange } from '../src/addresses.js'

const codeOf = (run: () => unknown): string => {
  try {
    run()
  } catch (error) {
    return (error as TrustedProxyAuthError).code
  }
  return 'none'
}

describe('headerValues', () => {
  it('reads Fetch Headers, Node header records and raw pairs case-insensitively', () => {
    expect(headerValues(new Headers({ 'X-A': '1' }), 'x-a')).toEqual(['1'])
    expect(headerValues({ 'x-a': ['1', '2'] }, 'X-A')).toEqual(['1', '2'])
    expect(headerValues([['X-a', '1'], ['x-A', '2'], ['other', '3']], 'x-a')).toEqual(['1', '2'])
  })
  it('reads Node’s flat rawHeaders list in place: names case-insensitive, repeats apart, a dangling name ignored', () => {
    const raw = ['Host', 'example.test', 'X-A', '1', 'x-ab', 'no', 'x-a', '2', 'X-A']
    expect(headerValues(raw, 'x-a')).toEqual(['1', '2'])
    expect(headerValues(raw, 'X-AB')).toEqual(['no'])
    expect(headerValues(raw, 'host')).toEqual(['example.test'])
    expect(headerValues([], 'x-a')).toEqual([])
    // The same verdicts as the pairs it stands for.
    expect(codeOf(() => extractAssertion(raw, 'x-a'))).toBe('malformed_assertion')
    expect(extractAssertion(['Authorization', 'Bearer a.b.c'], 'authorization')).toBe('a.b.c')
  })
})

describe('headerPairs', () => {
  it('lists every header of every input form in arrival order, repeats kept apart', () => {
    const expected = [
      ['x-a', '1'],
      ['x-b', '2'],
      ['x-a', '3'],
    ]
    expect(headerPairs(['x-a', '1', 'x-b', '2', 'x-a', '3', 'dangling'])).toEqual(expected)
    expect(headerPairs(expected as Array<[string, string]>)).toEqual(expected)
    expect(headerPairs({ 'x-a': ['1', '3'], 'x-b': '2', 'x-c': undefined })).toEqual([
      ['x-a', '1'],
      ['x-a', '3'],
      ['x-b', '2'],
    ])
    expect(headerPairs(new Headers([['X-B', '2']]))).toEqual([['x-b', '2']])
  })
})

describe('extractAssertion', () => {
  it('returns null for an absent or blank header', () => {
    expect(extractAssertion([], 'X-A')).toBeNull()
    expect(extractAssertion([['x-a', '   ']], 'X-A')).toBeNull()
    // Blank by JavaScript's trim: Unicode spaces and the BOM too, however the value starts.
    for (const blank of ['\u00a0', '\t\u2003 ', '\ufeff', '\u3000\u00a0']) expect(extractAssertion([['x-a', blank]], 'x-a')).toBeNull()
    expect(extractAssertion([['x-a', '\u00a0a.b.c']], 'x-a')).toBe('\u00a0a.b.c')
    // Outside the declared types, as before the shortcut: a String object that is blank is no assertion.
    expect(extractAssertion([['x-a', new String('') as unknown as string]], 'x-a')).toBeNull()
  })
  it('finds each header by its own name when several names alternate (each lowered once and remembered)', () => {
    const headers: Array<[string, string]> = [['X-A', 'a.b.c'], ['x-b', 'd.e.f'], ['Authorization', 'Bearer g.h.i']]
    for (let round = 0; round < 3; round++) {
      expect(extractAssertion(headers, 'x-a')).toBe('a.b.c')
      expect(extractAssertion(headers, 'X-B')).toBe('d.e.f')
      expect(extractAssertion(headers, 'AUTHORIZATION')).toBe('g.h.i')
      expect(extractAssertion(headers, 'x-c')).toBeNull()
    }
  })
  it('refuses repeated and comma-joined values instead of picking one', () => {
    expect(codeOf(() => extractAssertion([['x-a', 'a.b.c'], ['X-A', 'd.e.f']], 'x-a'))).toBe('malformed_assertion')
    expect(codeOf(() => extractAssertion(new Headers([['x-a', 'a.b.c'], ['x-a', 'd.e.f']]), 'x-a'))).toBe('malformed_assertion')
  })
  it('removes a case-insensitive Bearer scheme only from Authorization', () => {
    expect(extractAssertion([['authorization', 'bEaReR a.b.c']], 'Authorization')).toBe('a.b.c')
    expect(extractAssertion([['authorization', 'a.b.c']], 'Authorization')).toBe('a.b.c')
    expect(extractAssertion([['authorization', 'Bearer']], 'Authorization')).toBeNull()
    expect(extractAssertion([['x-a', 'Bearer a.b.c']], 'X-A')).toBe('Bearer a.b.c')
  })
})

describe('isTrustedPeer', () => {
  const ranges = ['10.0.0.0/8', '::1', 'fd00::/8'].map((text) => parseAddressRange(text)) as AddressRange[]
  it.each([
    ['10.1.2.3', true],
    ['::ffff:10.1.2.3', true],
    ['11.0.0.1', false],
    ['::1', true],
    ['fd12::5', true],
    ['fe80::1', false],
    ['not-an-ip', false],
    [undefined, false],
    // Hex, octal and short IPv4 forms name 10.0.0.1 to ipaddr.js but not to Python: refused as peers too.
    ['0xa.0.0.1', false],
    ['10.1', false],
    ['010.000.000.001', false],
  ])('%s → %s', (peer, trusted) => {
    expect(isTrustedPeer(peer, ranges)).toBe(trusted)
  })
})
