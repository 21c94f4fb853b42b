import { describe, expect, it } from 'vitest'
import { encodeHeaderValue } from '../src/identity-headers.js'

describe('encodeHeaderValue (values that cannot be a header value are never passed raw)', () => {
  it('keeps printable ASCII, so plain names and emails read the same', () => {
    expect(encodeHeaderValue('ann@example.com')).toBe('ann@example.com')
    expect(encodeHeaderValue('Ann Example')).toBe('Ann Example')
  })

  it('percent-encodes non-ASCII as UTF-8, every %, controls and edge spaces', () => {
    expect(encodeHeaderValue('Zoë')).toBe('Zo%C3%AB')
    expect(encodeHeaderValue('100%')).toBe('100%25')
    expect(encodeHeaderValue('a\r\nX-Injected: 1')).toBe('a%0D%0AX-Injected: 1')
    expect(encodeHeaderValue(' padded ')).toBe('%20padded%20')
    expect(encodeHeaderValue('tab\tdel\u007f')).toBe('tab%09del%7F')
    expect(encodeHeaderValue('😀')).toBe('%F0%9F%98%80')
  })

  it('round-trips through percent-decoding, and list items keep their commas apart', () => {
    for (const value of ['Zoë', '100%', ' x ', 'a\nb', 'plain', '%41']) expect(decodeURIComponent(encodeHeaderValue(value))).toBe(value)
    expect(encodeHeaderValue('a,b', true)).toBe('a%2Cb')
    expect(encodeHeaderValue('a,b')).toBe('a,b')
  })
})
