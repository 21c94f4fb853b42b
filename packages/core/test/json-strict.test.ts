import { describe, expect, it } from 'vitest'
import { parseStrictJsonObject } from '../src/json-strict.js'

// The strict parser compares the members JSON.parse kept with a cheap upper bound of the member names in the
// text, and with the exact count only when they differ: these cases sit exactly on that fast path's edges.
describe('parseStrictJsonObject', () => {
  it('accepts values that look like member names to the cheap count (":" after a quote inside strings)', () => {
    expect(parseStrictJsonObject('{"a":":","b":"x\\":y","c" : [":"]}', 32)).toEqual({ a: ':', b: 'x":y', c: [':'] })
  })

  it('counts own members only: an enumerable property added to Object.prototype neither adds to nor hides a member', () => {
    const prototype = Object.prototype as Record<string, unknown>
    prototype['polluted'] = 1
    try {
      expect(parseStrictJsonObject('{"a":1,"b":{"c":2}}', 32)).toEqual({ a: 1, b: { c: 2 } })
      expect(parseStrictJsonObject('{"a":1,"a":2}', 32)).toBeNull()
    } finally {
      delete prototype['polluted']
    }
  })

  it('refuses a duplicate name even when such strings lift the cheap count above the members kept', () => {
    expect(parseStrictJsonObject('{"a":":","a":":"}', 32)).toBeNull()
    expect(parseStrictJsonObject('{"o":{"k":1,"k":2},"s":":"}', 32)).toBeNull()
  })

  it('turns -0 into 0 at any depth, also under a member named __proto__, without touching the prototype', () => {
    const value = parseStrictJsonObject('{"n":-0,"a":[-0.0,{"m":-0e3}],"__proto__":-0}', 32)!
    expect(Object.is(value['n'], 0)).toBe(true)
    expect((value['a'] as unknown[])[0]).toBe(0)
    expect(Object.is(((value['a'] as unknown[])[1] as Record<string, unknown>)['m'], 0)).toBe(true)
    expect(Object.is(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, 0)).toBe(true)
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
  })

  it('refuses nesting beyond the limit (arrays count), numbers that overflow, and non-objects', () => {
    expect(parseStrictJsonObject('{"a":[[]]}', 3)).toEqual({ a: [[]] })
    expect(parseStrictJsonObject('{"a":[[[]]]}', 3)).toBeNull()
    expect(parseStrictJsonObject(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 32)).toBeNull()
    expect(parseStrictJsonObject('{"a":1e400}', 32)).toBeNull()
    expect(parseStrictJsonObject('[1]', 32)).toBeNull()
  })
})
