import { describe, expect, it } from 'vitest'
import { bearer, createTestIssuer, DEFAULT_ASSERTION_HEADER, envFor, proxyHeaders } from '../src/index.js'

describe('request helpers', () => {
  it('puts the token in the assertion header, with extra proxy headers', () => {
    expect(proxyHeaders('t.o.k')).toEqual({ 'X-Test-Assertion': 't.o.k' })
    expect(proxyHeaders('t.o.k', { header: 'X-Pomerium-Jwt-Assertion', extra: { 'X-Forwarded-Proto': 'https' } })).toEqual({
      'X-Forwarded-Proto': 'https',
      'X-Pomerium-Jwt-Assertion': 't.o.k',
    })
    // The assertion wins over an extra header of the same name.
    expect(proxyHeaders('t.o.k', { extra: { 'X-Test-Assertion': 'spoofed' } })).toEqual({ 'X-Test-Assertion': 't.o.k' })
  })

  it('uses the Bearer scheme for the Authorization header', () => {
    expect(bearer('t.o.k')).toEqual({ authorization: 'Bearer t.o.k' })
    expect(proxyHeaders('t.o.k', { header: 'Authorization' })).toEqual({ Authorization: 'Bearer t.o.k' })
  })

  it('builds a TRUSTED_PROXY_* environment that trusts the issuer', async () => {
    const issuer = await createTestIssuer({ issuer: 'https://proxy.example', audience: ['app-a', 'app-b'] })
    expect(envFor(issuer)).toEqual({
      TRUSTED_PROXY_ASSERTION_HEADER: DEFAULT_ASSERTION_HEADER,
      TRUSTED_PROXY_JWKS_URL: 'https://proxy.example/.well-known/jwks.json',
      TRUSTED_PROXY_ISSUER: 'https://proxy.example',
      TRUSTED_PROXY_AUDIENCE: 'app-a,app-b',
    })
  })

  it('lets overrides replace or remove variables', () => {
    const env = envFor({ issuer: 'i', audience: 'a', jwksUrl: 'http://127.0.0.1:1/jwks' }, { TRUSTED_PROXY_MODE: 'optional', TRUSTED_PROXY_AUDIENCE: undefined, TRUSTED_PROXY_ASSERTION_HEADER: 'Authorization' })
    expect(env).toEqual({
      TRUSTED_PROXY_ASSERTION_HEADER: 'Authorization',
      TRUSTED_PROXY_JWKS_URL: 'http://127.0.0.1:1/jwks',
      TRUSTED_PROXY_ISSUER: 'i',
      TRUSTED_PROXY_MODE: 'optional',
    })
  })
})
