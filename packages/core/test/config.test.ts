import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig, TrustedProxyAuthError } from '../src/index.js'

const base = {
  TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion',
  TRUSTED_PROXY_JWKS_URL: 'https://auth.example.com/jwks.json',
  TRUSTED_PROXY_ISSUER: 'https://auth.example.com',
  TRUSTED_PROXY_AUDIENCE: 'app',
}

function problemsOf(run: () => unknown): Array<{ variable: string; message: string }> {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(TrustedProxyAuthError)
    expect((error as TrustedProxyAuthError).code).toBe('invalid_config')
    return [...((error as TrustedProxyAuthError).problems ?? [])]
  }
  throw new Error('expected invalid_config')
}

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig(base)
    expect(config.algorithms).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])
    expect(config.clockTolerance).toBe(60)
    expect(config.maxAssertionBytes).toBe(16384)
    expect(config.jwksTimeout).toBe(5)
    expect(config.mode).toBe('required')
    expect(config.maxAge).toBeNull()
    expect(config.claimSubject).toBe('sub')
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('hands out a configuration frozen all the way down, whose defaults no caller can change for the next one', () => {
    const unfrozen: string[] = []
    const walk = (value: unknown, path: string): void => {
      if (value === null || typeof value !== 'object') return
      const prototype: unknown = Object.getPrototypeOf(value)
      if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return
      if (!Object.isFrozen(value)) unfrozen.push(path)
      for (const [name, member] of Object.entries(value)) walk(member, `${path}.${name}`)
    }
    const key = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1', key_ops: ['verify'] }
    const configs = [
      loadConfig({ ...base, TRUSTED_PROXY_REQUIRED_CLAIMS: 'tenant=acme', TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy=yes', TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8', TRUSTED_PROXY_ALLOWED_USERS: 'a,b' }),
      loadConfig({
        TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion',
        TRUSTED_PROXY_AUDIENCE: 'app',
        TRUSTED_PROXY_ISSUERS: JSON.stringify([
          { issuer: 'https://a.example', jwks: { keys: [key] }, algorithms: ['ES256'] },
          { issuer: 'https://b.example', jwks_url: 'https://b.example/jwks.json', audience: ['app', 'other'] },
        ]),
      }),
      loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_ISSUER: 'https://a.example', TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_JWKS: JSON.stringify({ keys: [key] }) }),
      loadConfig({ TRUSTED_PROXY_PRESET: 'cloudflare-access', TRUSTED_PROXY_ISSUER: 'https://example-team.cloudflareaccess.com', TRUSTED_PROXY_AUDIENCE: 'aud-tag' }),
    ]
    configs.forEach((config, index) => walk(config, `config${index}`))
    expect(unfrozen).toEqual([])
    const first = configs[0]!
    expect(() => (first.algorithms as string[]).push('HS256')).toThrow(TypeError)
    // A default taken by one configuration is not the contract's own array: the next configuration gets it whole.
    expect(loadConfig(base).algorithms).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])
  })

  it('splits comma lists, trimming items and dropping empty ones', () => {
    const config = loadConfig({ ...base, TRUSTED_PROXY_ISSUER: ' a , b,,c ', TRUSTED_PROXY_REQUIRED_CLAIMS: 'tenant=acme, email_verified' })
    expect(config.issuer).toEqual(['a', 'b', 'c'])
    expect(config.requiredClaims).toEqual([{ name: 'tenant', value: 'acme' }, { name: 'email_verified', value: null }])
  })

  it('reports every problem at once', () => {
    const problems = problemsOf(() =>
      loadConfig({ TRUSTED_PROXY_ALGORITHMS: 'HS256,none,ES256', TRUSTED_PROXY_CLOCK_TOLERANCE: 'soon', TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/33' }),
    )
    const variables = problems.map((p) => p.variable)
    for (const name of ['TRUSTED_PROXY_ASSERTION_HEADER', 'TRUSTED_PROXY_JWKS_URL', 'TRUSTED_PROXY_ISSUER', 'TRUSTED_PROXY_AUDIENCE', 'TRUSTED_PROXY_CLOCK_TOLERANCE', 'TRUSTED_PROXY_TRUSTED_ADDRESSES']) {
      expect(variables).toContain(name)
    }
    expect(problems.filter((p) => p.variable === 'TRUSTED_PROXY_ALGORITHMS')).toHaveLength(2)
  })

  it.each([
    ['http://auth.example.com/jwks', false],
    ['ftp://auth.example.com/jwks', false],
    ['not a url', false],
    ['https://auth.example.com/jwks', true],
    ['http://127.0.0.1:8080/jwks', true],
    ['http://127.200.1.1/jwks', true],
    ['http://[::1]:9000/jwks', true],
    ['http://localhost/jwks', true],
    ['http://localhost.example.com/jwks', false],
  ])('JWKS URL %s accepted: %s', (url, accepted) => {
    const attempt = () => loadConfig({ ...base, TRUSTED_PROXY_JWKS_URL: url })
    if (accepted) expect(attempt().jwksUrl).toBe(url)
    else expect(problemsOf(attempt).map((p) => p.variable)).toEqual(['TRUSTED_PROXY_JWKS_URL'])
  })

  it('lets options in code override the environment, and the environment override the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpa-config-'))
    const file = join(dir, 'settings.json')
    writeFileSync(file, JSON.stringify({ TRUSTED_PROXY_AUDIENCE: ['from-file'], TRUSTED_PROXY_CLOCK_TOLERANCE: 10, TRUSTED_PROXY_MODE: 'optional' }))
    const config = loadConfig({ ...base, TRUSTED_PROXY_CONFIG_FILE: file, TRUSTED_PROXY_CLOCK_TOLERANCE: '20' }, { audience: ['from-code'] })
    expect(config.audience).toEqual(['from-code'])
    expect(config.clockTolerance).toBe(20)
    expect(config.mode).toBe('optional')
  })

  it('refuses unknown TRUSTED_PROXY_* variables and options (typos must not silently weaken checks)', () => {
    const problems = problemsOf(() => loadConfig({ ...base, TRUSTED_PROXY_AUDIENCES: 'x' }, { issuerz: 'y' } as never))
    expect(problems.map((p) => p.variable).sort()).toEqual(['TRUSTED_PROXY_AUDIENCES', 'issuerz'])
  })

  it('refuses an unreadable config file and an invalid header name', () => {
    const problems = problemsOf(() => loadConfig({ ...base, TRUSTED_PROXY_CONFIG_FILE: '/nonexistent/file.json', TRUSTED_PROXY_ASSERTION_HEADER: 'Bad Header' }))
    expect(problems.map((p) => p.variable).sort()).toEqual(['TRUSTED_PROXY_ASSERTION_HEADER', 'TRUSTED_PROXY_CONFIG_FILE'])
  })

  it('parses trusted addresses as IPv4 and IPv6 ranges and single addresses', () => {
    const config = loadConfig({ ...base, TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8, ::1, 192.168.1.7' })
    expect(config.trustedAddresses).toHaveLength(3)
  })
})
