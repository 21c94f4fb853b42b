import type { IncomingMessage } from 'node:http'
import type { KeyStatus, TrustedIdentity, Verifier } from '@mieweb/trusted-proxy-auth'
import { loadConfig } from '@mieweb/trusted-proxy-auth'
import { describe, expect, it } from 'vitest'
import { VerifiedAssertionCache } from '../src/verified-cache.js'

const config = loadConfig({
  TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion',
  TRUSTED_PROXY_JWKS_URL: 'https://keys.example/jwks',
  TRUSTED_PROXY_ISSUER: 'https://idp.example',
  TRUSTED_PROXY_AUDIENCE: 'app',
  TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy=edge',
})

function fakeVerifier(status: { lastSuccessAt: number | null }): Verifier {
  return { status: () => ({ lastSuccessAt: status.lastSuccessAt }) as KeyStatus } as unknown as Verifier
}

function request(peer: string, headers: string[]): IncomingMessage {
  return { socket: { remoteAddress: peer }, rawHeaders: headers } as unknown as IncomingMessage
}

const identity = { subject: 'ann', expiresAt: 1_000_100, issuedAt: 1_000_000 } as TrustedIdentity

describe('VerifiedAssertionCache', () => {
  it('keys on the peer and every assertion and required header value, in order', () => {
    const cache = new VerifiedAssertionCache(config, fakeVerifier({ lastSuccessAt: 1 }))
    const a = cache.keyOf(request('10.0.0.1', ['X-Assertion', 't', 'X-Proxy', 'edge', 'User-Agent', 'x']))
    expect(a).not.toBeNull()
    expect(cache.keyOf(request('10.0.0.2', ['X-Assertion', 't', 'X-Proxy', 'edge']))).not.toBe(a)
    expect(cache.keyOf(request('10.0.0.1', ['X-Assertion', 't', 'X-Proxy', 'edge', 'x-assertion', 'u']))).not.toBe(a)
    expect(cache.keyOf(request('10.0.0.1', ['X-Assertion', 't', 'X-Proxy', 'edge', 'User-Agent', 'y']))).toBe(a)
    expect(cache.keyOf(request('10.0.0.1', ['X-Proxy', 'edge']))).toBeNull()
  })

  it('serves an entry only before exp, for at most 60 s, and never after the key set was reloaded', () => {
    const status = { lastSuccessAt: 1 as number | null }
    let now = 1_000_000_000
    const cache = new VerifiedAssertionCache(config, fakeVerifier(status), () => now)
    cache.remember('k', identity)
    expect(cache.get('k')).toBe(identity)
    now += 59_000
    expect(cache.get('k')).toBe(identity)
    now += 1_000
    expect(cache.get('k')).toBeNull()

    now = 1_000_099_000
    cache.remember('k', identity)
    now += 1_000
    expect(cache.get('k')).toBeNull()

    now = 1_000_000_000
    cache.remember('k', identity)
    status.lastSuccessAt = 2
    expect(cache.get('k')).toBeNull()
  })

  it('is off with TRUSTED_PROXY_SERVE_CACHE_SIZE=0', () => {
    const off = loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_JWKS_URL: 'https://keys.example/jwks', TRUSTED_PROXY_ISSUER: 'https://idp.example', TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_SERVE_CACHE_SIZE: '0' })
    const cache = new VerifiedAssertionCache(off, fakeVerifier({ lastSuccessAt: 1 }))
    expect(cache.keyOf(request('10.0.0.1', ['X-Assertion', 't']))).toBeNull()
  })
})
