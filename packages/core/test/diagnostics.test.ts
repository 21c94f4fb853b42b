import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestIssuer, envFor, type TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { jwksHandlers, type JwksMock } from '@mieweb/trusted-proxy-auth-testing/msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createVerifier,
  loadConfig,
  sharedVerifierCount,
  toProblemDetails,
  TrustedProxyAuthError,
  verifierFromAdapterOptions,
  type Logger,
  type TrustedProxyAuthEvent,
} from '../src/index.js'
import { quoted, quotedList } from '../src/detail-text.js'
import { debugEnables, effectiveLogLevel } from '../src/logger.js'
import { configurationSummary, loggableUrl, riskySettings } from '../src/startup-report.js'

// Issue 10, "Diagnosable without leaking": details on rejections, the debug setting for problem bodies, the
// start-up log with warnings, invalid_config listing every problem, and one shared verifier per configuration.

const NOW = 1_700_000_000
let issuer: TestIssuer
let jwks: JwksMock
let env: Record<string, string>
const mocked = setupServer()

beforeAll(async () => {
  issuer = await createTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'user-1' })
  jwks = jwksHandlers(issuer)
  mocked.use(...jwks.handlers)
  mocked.listen({ onUnhandledRequest: 'bypass' })
  env = envFor(issuer) as Record<string, string>
})
afterEach(() => jwks.reset())
afterAll(() => mocked.close())

/** A logger that keeps every line with its level. */
function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`)
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

describe('detail text', () => {
  it('quotes received values cut to 100 code points, escaping quotes, backslashes and control characters', () => {
    expect(quoted('a"b\\c\n\u007f\u0085\u2028')).toBe('"a\\"b\\\\c\\u000a\\u007f\\u0085\\u2028"')
    expect(quoted('x'.repeat(101))).toBe(`"${'x'.repeat(100)}…"`)
    expect(quoted('\u{1F600}'.repeat(100))).toBe(`"${'\u{1F600}'.repeat(100)}"`)
    expect(quoted('\ud800')).toBe('"\\ud800"')
    expect(quoted(42)).toBe('(number)')
    expect(quotedList([])).toBe('[]')
    expect(quotedList(['a', 'b', 'c', 'd', 'e', 'f'])).toBe('"a", "b", "c", "d", "e" and 1 more')
  })
})

describe('rejection detail', () => {
  it('names the received and expected issuer on the error, the event and (only when diagnostic) the problem body', async () => {
    const events: TrustedProxyAuthEvent[] = []
    const logger = captureLogger()
    const verifier = createVerifier(loadConfig(env), { onEvent: (event) => events.push(event), logger })
    const token = await issuer.sign({ iss: 'https://proxy.example/' }, { now: NOW })
    const error = (await verifier.verifyAssertion(token, { now: NOW }).then(
      () => new Error('accepted'),
      (caught: unknown) => caught,
    )) as TrustedProxyAuthError
    verifier.close()
    const detail = 'iss "https://proxy.example/" is not one of "https://proxy.example"'
    expect(error).toMatchObject({ code: 'issuer_mismatch', detail, message: 'the identity assertion issuer is not trusted' })
    expect(events.at(-1)).toEqual({ type: 'verify_failed', code: 'issuer_mismatch', detail })
    expect(logger.lines).toContain(`debug rejected issuer_mismatch: ${detail}`)
    expect(toProblemDetails(error).body.detail).toBe('the identity assertion issuer is not trusted')
    expect(toProblemDetails(error, undefined, { problemDetail: 'diagnostic' }).body.detail).toBe(`the identity assertion issuer is not trusted: ${detail}`)
    for (const segment of token.split('.')) expect(JSON.stringify([events, logger.lines, error.detail])).not.toContain(segment)
  })

  it('TRUSTED_PROXY_PROBLEM_DETAIL is a contract setting (generic by default, diagnostic on request)', () => {
    expect(loadConfig(env).problemDetail).toBe('generic')
    expect(loadConfig({ ...env, TRUSTED_PROXY_PROBLEM_DETAIL: 'diagnostic' }).problemDetail).toBe('diagnostic')
    expect(() => loadConfig({ ...env, TRUSTED_PROXY_PROBLEM_DETAIL: 'verbose' })).toThrow(TrustedProxyAuthError)
  })

  it('invalid_config lists every problem in its detail', () => {
    const error = (() => {
      try {
        loadConfig({ TRUSTED_PROXY_CLOCK_TOLERANCE: 'soon' })
      } catch (caught) {
        return caught as TrustedProxyAuthError
      }
      throw new Error('loadConfig accepted an empty configuration')
    })()
    expect(error.problems?.length).toBeGreaterThanOrEqual(4)
    expect(error.detail).toBe(error.problems!.map((problem) => `${problem.variable} ${problem.message}`).join('; '))
    expect(error.detail).toContain('TRUSTED_PROXY_ISSUER is required')
    expect(error.detail).toContain('TRUSTED_PROXY_CLOCK_TOLERANCE must be a whole number')
  })
})

describe('start-up log', () => {
  it('logs the effective configuration once and the first key-load outcome', async () => {
    const logger = captureLogger()
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_JWKS_URL: 'https://user:pass@keys.example/jwks.json?token=abc' }), {
      logger,
      fetch: async () => new Response(JSON.stringify(issuer.jwks()), { status: 200, headers: { 'content-type': 'application/json' } }),
    })
    await verifier.ready()
    verifier.close()
    expect(logger.lines[0]).toMatch(/^info configured: preset=none header="[^"]+" keys=jwks https:\/\/keys\.example\/jwks\.json issuer="https:\/\/proxy\.example" audience="app" /)
    expect(logger.lines.join('\n')).not.toMatch(/pass|token=abc/)
    expect(logger.lines.some((line) => /^info keys loaded: 1 keys \(0 ignored\) from https:\/\/keys\.example\/jwks\.json in \d+ ms$/.test(line))).toBe(true)
  })

  it('warns when the first key load fails (a broken key URL shows at start-up, not as 503s later)', async () => {
    const logger = captureLogger()
    const verifier = createVerifier(loadConfig(env), { logger, fetch: async () => new Response('nope', { status: 500 }) })
    // ready() keeps waiting for a later retry; the first failure is logged as soon as it happens.
    await vi.waitFor(() => expect(logger.lines.some((line) => line.startsWith('warn keys not loaded: https://proxy.example/'))).toBe(true))
    verifier.close()
  })

  it('warns about risky settings: optional without trusted addresses, tolerance over 300 s, plain http keys, a shared secret', () => {
    const base = loadConfig(env)
    expect(riskySettings(base)).toEqual([])
    const risky = riskySettings({ ...loadConfig({ ...env, TRUSTED_PROXY_MODE: 'optional', TRUSTED_PROXY_CLOCK_TOLERANCE: '301' }), keySource: { kind: 'jwks', url: 'http://keys.example/jwks.json' } })
    expect(risky).toHaveLength(3)
    expect(risky[0]).toMatch(/^TRUSTED_PROXY_MODE=optional without TRUSTED_PROXY_TRUSTED_ADDRESSES/)
    expect(risky[1]).toMatch(/^TRUSTED_PROXY_CLOCK_TOLERANCE=301 is more than 300 s/)
    expect(risky[2]).toMatch(/^the key URL http:\/\/keys\.example\/jwks\.json is plain http outside loopback/)
    expect(riskySettings({ ...base, keySource: { kind: 'jwks', url: 'http://127.0.0.1:8080/jwks.json' } })).toEqual([])
    expect(riskySettings({ ...base, keySource: { kind: 'sharedSecret' } })).toEqual([expect.stringMatching(/shared HS256 secret/)])
  })

  it('never logs the shared secret', () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes-long!'
    const logger = captureLogger()
    const config = loadConfig({
      TRUSTED_PROXY_PRESET: 'authentik',
      TRUSTED_PROXY_ISSUER: 'https://auth.example.com/application/o/app/',
      TRUSTED_PROXY_AUDIENCE: 'client-id',
      TRUSTED_PROXY_SHARED_SECRET: secret,
    })
    createVerifier(config, { logger }).close()
    expect(configurationSummary(config)).toContain('keys=shared-secret')
    expect(logger.lines.join('\n')).not.toContain(secret)
    expect(logger.lines.some((line) => line.startsWith('warn keys=shared-secret'))).toBe(true)
  })

  it('removes credentials, query and fragment from logged URLs', () => {
    expect(loggableUrl('https://u:p@keys.example/a/{kid}?sig=1#x')).toBe('https://keys.example/a/{kid}')
  })

  it('is quiet but for warnings by default, everything with DEBUG=trusted-proxy-auth, or TRUSTED_PROXY_LOG_THRESHOLD', () => {
    expect(effectiveLogLevel({ logThreshold: null }, undefined)).toBe('warn')
    expect(effectiveLogLevel({ logThreshold: null }, 'express:*,trusted-proxy-auth')).toBe('debug')
    expect(effectiveLogLevel({ logThreshold: null }, '*,-trusted-proxy-auth')).toBe('warn')
    expect(effectiveLogLevel({ logThreshold: 'info' }, 'trusted-proxy-auth')).toBe('info')
    expect(debugEnables('trusted-*')).toBe(true)
    expect(loadConfig({ ...env, TRUSTED_PROXY_LOG_THRESHOLD: 'silent' }).logThreshold).toBe('silent')
  })

  it('a logger that throws never decides authentication', async () => {
    const throwing = () => {
      throw new Error('log sink down')
    }
    const verifier = createVerifier(loadConfig(env), { logger: { debug: throwing, info: throwing, warn: throwing, error: throwing } })
    await expect(verifier.verifyAssertion(await issuer.sign({}, { now: NOW }), { now: NOW })).resolves.toMatchObject({ subject: 'user-1' })
    verifier.close()
  })
})

describe('one verifier per configuration', () => {
  let server: Server
  let requests = 0
  let keyUrl = ''
  beforeAll(async () => {
    server = createServer((_request, response) => {
      requests++
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks()))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    keyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('five adapter calls with the same settings share one verifier: one key fetch, one refresh loop', async () => {
    const shared = { ...env, TRUSTED_PROXY_JWKS_URL: keyUrl }
    const before = sharedVerifierCount()
    const verifiers = Array.from({ length: 5 }, () => verifierFromAdapterOptions({ env: shared }, []))
    await Promise.all(verifiers.map((verifier) => verifier.ready()))
    expect(requests).toBe(1)
    expect(sharedVerifierCount()).toBe(before + 1)
    const token = await issuer.sign({}, { now: NOW })
    for (const verifier of verifiers) await expect(verifier.verifyAssertion(token, { now: NOW })).resolves.toMatchObject({ subject: 'user-1' })

    // Another audience is another configuration, so another verifier.
    const other = verifierFromAdapterOptions({ env: shared, audience: 'other-app' }, [])
    await other.ready()
    expect(requests).toBe(2)
    other.close()

    // The verifier stops only when the last handle is closed.
    for (const verifier of verifiers.slice(1)) verifier.close()
    expect(sharedVerifierCount()).toBe(before + 1)
    verifiers[0]!.close()
    verifiers[0]!.close()
    expect(sharedVerifierCount()).toBe(before)
  })
})
