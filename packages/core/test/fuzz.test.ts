import fc from 'fast-check'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, ENV_CONTRACT, loadConfig, TrustedProxyAuthError, type Verifier } from '../src/index.js'
import { parseCompactJws } from '../src/compact-jws.js'
import { extractAssertion, headerValues } from '../src/request-headers.js'
import { ManualClock } from './manual-clock.js'

// Property-based fuzzing (issue 9, item 9) of the assertion parser, header extraction, key-set parsing and
// configuration loading. Two properties: nothing but TrustedProxyAuthError ever escapes, and no mutation of a
// valid signed assertion is accepted unless it decodes to the same header, payload and signature bytes.
// Bounded here (a few seconds, fixed seed); `npm run fuzz` at the root sets FUZZ_RUNS (and a fresh FUZZ_SEED)
// for a long run. fast-check reports the seed and path of a failure, so `FUZZ_SEED=<seed>` reproduces it.

const LONG_RUNS = Number(process.env['FUZZ_RUNS'] ?? '0')
const SEED = Number(process.env['FUZZ_SEED'] ?? '20261201')
const TIMEOUT_MS = LONG_RUNS > 0 ? 3_600_000 : 60_000

function runs(bounded: number): fc.Parameters<unknown> {
  return { numRuns: LONG_RUNS > 0 ? LONG_RUNS : bounded, seed: SEED, endOnFailure: true }
}

const NOW = 1_700_000_100
const HEADER = 'X-Assertion'
const JWKS_URL = 'https://keys.fuzz.test/jwks.json'
const BASE_ENV = {
  TRUSTED_PROXY_JWKS_URL: JWKS_URL,
  TRUSTED_PROXY_ISSUER: 'https://proxy.fuzz.test',
  TRUSTED_PROXY_AUDIENCE: 'app',
  TRUSTED_PROXY_ASSERTION_HEADER: HEADER,
}

let token: string
let jwks: { keys: Record<string, unknown>[] }

function verifierServing(body: string | (() => string)): Verifier {
  const fetchKeys = (async () =>
    new Response(typeof body === 'function' ? body() : body, { status: 200, headers: { 'content-type': 'application/json' } })) as typeof fetch
  return createVerifier(loadConfig(BASE_ENV), { fetch: fetchKeys, scheduler: new ManualClock() })
}

/** Runs `action`; a TrustedProxyAuthError is a rejection, anything else thrown fails the property. */
async function outcome<T>(action: () => Promise<T> | T): Promise<{ accepted: true; value: T } | { accepted: false }> {
  try {
    return { accepted: true, value: await action() }
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return { accepted: false }
    throw error
  }
}

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'fuzz', alg: 'ES256', use: 'sig' }] }
  token = await new SignJWT({ email: 'ann@example.com', groups: ['staff'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'fuzz', typ: 'JWT' })
    .setIssuer(BASE_ENV.TRUSTED_PROXY_ISSUER)
    .setAudience('app')
    .setSubject('ann')
    .setIssuedAt(NOW - 10)
    .setExpirationTime(NOW + 600)
    .sign(privateKey)
})

const BASE64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']
/** Characters a mutation inserts: the alphabet, its standard-base64 cousins, padding, separators and junk. */
const MUTATION_CHAR = fc.oneof(fc.constantFrom(...BASE64URL), fc.constantFrom('+', '/', '=', '.', ' ', '\t', '\n', '\r', '\0', '%', '"', 'é', '\u00a0', '\ufeff'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }))

type Mutation =
  | { kind: 'replace' | 'insert'; at: number; char: string }
  | { kind: 'delete' | 'flipCase' | 'truncate'; at: number }
  | { kind: 'affix'; before: string; after: string }
  | { kind: 'swapSegments'; first: number; second: number }

const MUTATION: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('replace' as const, 'insert' as const), at: fc.nat(), char: MUTATION_CHAR }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'flipCase' as const, 'truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('affix' as const), before: fc.string({ maxLength: 3 }), after: fc.string({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant('swapSegments' as const), first: fc.nat(2), second: fc.nat(2) }),
)

function mutate(text: string, mutation: Mutation): string {
  switch (mutation.kind) {
    case 'replace': {
      const at = mutation.at % Math.max(1, text.length)
      return text.slice(0, at) + mutation.char + text.slice(at + 1)
    }
    case 'insert': {
      const at = mutation.at % (text.length + 1)
      return text.slice(0, at) + mutation.char + text.slice(at)
    }
    case 'delete': {
      const at = mutation.at % Math.max(1, text.length)
      return text.slice(0, at) + text.slice(at + 1)
    }
    case 'flipCase': {
      const at = mutation.at % Math.max(1, text.length)
      const char = text.charAt(at)
      const flipped = char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase()
      return text.slice(0, at) + flipped + text.slice(at + 1)
    }
    case 'truncate':
      return text.slice(0, mutation.at % (text.length + 1))
    case 'affix':
      return mutation.before + text + mutation.after
    case 'swapSegments': {
      const segments = text.split('.')
      const a = segments[mutation.first]
      const b = segments[mutation.second]
      if (a === undefined || b === undefined) return text
      segments[mutation.first] = b
      segments[mutation.second] = a
      return segments.join('.')
    }
  }
}

/** The bytes each segment stands for, read leniently (any base64 alphabet, padding ignored). */
function segmentBytes(text: string): string[] {
  return text.split('.').map((segment) => Buffer.from(segment, 'base64url').toString('hex'))
}

describe('fuzzing: only TrustedProxyAuthError escapes, and no altered assertion verifies', () => {
  it('the compact JWS parser returns a result or null for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.array(fc.string({ unit: 'binary-ascii' }), { maxLength: 5 }).map((parts) => parts.join('.'))), (text) => {
        const parsed = parseCompactJws(text)
        expect(parsed === null || typeof parsed === 'object').toBe(true)
      }),
      runs(2000),
    )
  }, TIMEOUT_MS)

  it('verifyAssertion rejects arbitrary text and JSON-bearing segments with the library error only', async () => {
    const verifier = verifierServing(JSON.stringify(jwks))
    const segment = fc.oneof(
      fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url')),
      fc.string({ unit: 'binary' }).map((text) => Buffer.from(text).toString('base64url')),
      fc.string(),
    )
    const candidate = fc.oneof(fc.string({ unit: 'binary' }), fc.tuple(segment, segment, segment).map((parts) => parts.join('.')))
    try {
      await fc.assert(
        fc.asyncProperty(candidate, async (text) => {
          const result = await outcome(() => verifier.verifyAssertion(text, { now: NOW }))
          expect(result.accepted && text !== token).toBe(false)
        }),
        runs(300),
      )
    } finally {
      verifier.close()
    }
  }, TIMEOUT_MS)

  it('no mutation of a valid signed assertion verifies unless it decodes to the same bytes', async () => {
    const verifier = verifierServing(JSON.stringify(jwks))
    try {
      expect((await verifier.verifyAssertion(token, { now: NOW })).subject).toBe('ann')
      const original = segmentBytes(token)
      await fc.assert(
        fc.asyncProperty(fc.array(MUTATION, { minLength: 1, maxLength: 4 }), async (mutations) => {
          const mutated = mutations.reduce(mutate, token)
          const result = await outcome(() => verifier.verifyAssertion(mutated, { now: NOW }))
          if (result.accepted) expect(segmentBytes(mutated)).toEqual(original)
        }),
        runs(400),
      )
    } finally {
      verifier.close()
    }
  }, TIMEOUT_MS)

  it('header extraction: any header list gives the identity of the one valid assertion, null, or the library error', async () => {
    const verifier = verifierServing(JSON.stringify(jwks))
    const name = fc.oneof(fc.constantFrom(HEADER, HEADER.toLowerCase(), HEADER.toUpperCase(), ` ${HEADER}`, `${HEADER} `, 'X-Assertion_', 'X_Assertion', 'Authorization', 'Cookie'), fc.string())
    const value = fc.oneof(
      fc.constant(token),
      fc.constantFrom(`Bearer ${token}`, ` ${token} `, `${token},${token}`, `${token}\r\n`, '', ' '),
      fc.array(MUTATION, { minLength: 1, maxLength: 2 }).map((mutations) => mutations.reduce(mutate, token)),
      fc.string({ unit: 'binary' }),
    )
    const headers = fc.oneof(
      fc.array(fc.tuple(name, value), { maxLength: 4 }),
      fc.dictionary(name, fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxKeys: 4 }),
    )
    try {
      await fc.assert(
        fc.asyncProperty(headers, async (input) => {
          expect(() => headerValues(input as never, HEADER)).not.toThrow()
          await outcome(() => extractAssertion(input as never, HEADER))
          const result = await outcome(() => verifier.verifyRequest({ headers: input as never, remoteAddress: '127.0.0.1' }, { now: NOW }))
          if (result.accepted && result.value !== null) expect(result.value.subject).toBe('ann')
        }),
        runs(300),
      )
    } finally {
      verifier.close()
    }
  }, TIMEOUT_MS)

  it('key-set parsing: any key endpoint body gives the library error, or the identity only when it holds the real key', async () => {
    const realKey = jwks.keys[0]!
    const member = fc.oneof(fc.jsonValue(), fc.constantFrom(...Object.values(realKey)))
    const jwkLike = fc.oneof(
      fc.dictionary(fc.constantFrom(...Object.keys(realKey), 'n', 'e', 'd', 'k', 'key_ops', 'x5c', '__proto__'), member, { maxKeys: 8 }),
      fc.constant(realKey).chain((key) => fc.record({ drop: fc.subarray(Object.keys(key)), extra: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue(), { maxKeys: 2 }) }).map(({ drop, extra }) => ({ ...Object.fromEntries(Object.entries(key).filter(([k]) => !drop.includes(k))), ...extra }))),
    )
    const body = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.jsonValue().map((value) => JSON.stringify(value) ?? ''),
      fc.array(jwkLike, { maxLength: 3 }).map((keys) => JSON.stringify({ keys })),
      fc.tuple(fc.array(jwkLike, { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 2 })).map(([keys, extra]) => JSON.stringify({ ...extra, keys: [...keys, realKey] })),
    )
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const verifier = verifierServing(text)
        try {
          const result = await outcome(() => verifier.verifyAssertion(token, { now: NOW }))
          if (result.accepted) expect(text).toContain(JSON.stringify(realKey['x']))
        } finally {
          verifier.close()
        }
      }),
      runs(200),
    )
  }, TIMEOUT_MS)

  it('configuration loading: any settings give a configuration or invalid_config', () => {
    const names = ENV_CONTRACT.variables.map((variable) => variable.name)
    const options = ENV_CONTRACT.variables.map((variable) => variable.option)
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('', ' ', '0', '-1', '1e309', 'NaN', 'true', 'https://k.test/jwks.json', 'ES256,HS256', '::1/129', 'cloudflare-access', '{kid}'))
    const settings = fc.record({
      env: fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string().map((tail) => `TRUSTED_PROXY_${tail}`)), text, { maxKeys: 8 }),
      overrides: fc.dictionary(fc.oneof(fc.constantFrom(...options), fc.string({ maxLength: 8 })), fc.oneof(text, fc.jsonValue()), { maxKeys: 4 }),
    })
    fc.assert(
      fc.property(settings, ({ env, overrides }) => {
        try {
          loadConfig({ ...BASE_ENV, ...env }, overrides as never)
        } catch (error) {
          expect(error).toBeInstanceOf(TrustedProxyAuthError)
          expect((error as TrustedProxyAuthError).code).toBe('invalid_config')
        }
      }),
      runs(1000),
    )
  }, TIMEOUT_MS)
})
