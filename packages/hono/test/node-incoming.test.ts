import type { Context } from 'hono'
import { describe, expect, it } from 'vitest'
import { headerValues } from '@mieweb/trusted-proxy-auth'
import { requestHeaders } from '../src/node-incoming.js'

const contextWith = (env: unknown, headers: HeadersInit = {}): Context => ({ env, req: { raw: new Request('http://app.test/', { headers }) } }) as unknown as Context

describe('requestHeaders', () => {
  it('reads the header pairs exactly as received from @hono/node-server, a repetition kept apart', () => {
    const rawHeaders = ['Host', 'app.test', 'X-Assertion', 'a.b.c', 'x-assertion', 'd.e.f']
    const c = contextWith({ incoming: { rawHeaders } }, { 'x-assertion': 'ignored' })
    // Read in place: no copy of the list per request.
    expect(requestHeaders(c)).toBe(rawHeaders)
    // Two values, so the verifier refuses the request (malformed_assertion), as in the Node adapters.
    expect(headerValues(requestHeaders(c), 'x-assertion')).toEqual(['a.b.c', 'd.e.f'])
  })

  it('reads them through a nested server binding too', () => {
    const c = contextWith({ server: { incoming: { rawHeaders: ['x-assertion', 'a.b.c'] } } })
    expect(headerValues(requestHeaders(c), 'x-assertion')).toEqual(['a.b.c'])
  })

  it('falls back to the fetch Headers on other runtimes', () => {
    const c = contextWith({ SOME_BINDING: 'x' }, { 'x-assertion': 'a.b.c' })
    expect(requestHeaders(c)).toBe(c.req.raw.headers)
    expect(headerValues(requestHeaders(contextWith(undefined, { 'x-assertion': 'a.b.c' })), 'x-assertion')).toEqual(['a.b.c'])
  })
})
