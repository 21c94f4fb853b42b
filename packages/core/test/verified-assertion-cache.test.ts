import { createTestIssuer, envFor, type TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { jwksHandlers, type JwksMock } from '@mieweb/trusted-proxy-auth-testing/msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, loadConfig, TrustedProxyAuthError, type TrustedProxyAuthEvent } from '../src/index.js'
import fc from 'fast-check'
import { checkClaimTimes, NO_PASSING_TIMES, passingTimes } from '../src/claims.js'
import { VerifiedAssertionCache } from '../src/verified-assertion-cache.js'
import { ManualClock } from './manual-clock.js'

// The verified-assertion cache (TRUSTED_PROXY_CACHE_SIZE): what a hit still checks, what drops an entry, the bound.
const NOW = 1_700_000_000
/** An entry whose time checks run on every hit. */
const NO_WINDOW = { timesPassFrom: Number.POSITIVE_INFINITY, timesPassUntil: Number.NEGATIVE_INFINITY }
let issuer: TestIssuer
let jwks: JwksMock
let env: Record<string, string>
const server = setupServer()

beforeAll(async () => {
  issuer = await createTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'user-1' })
  jwks = jwksHandlers(issuer)
  server.use(...jwks.handlers)
  server.listen({ onUnhandledRequest: 'error' })
  env = envFor(issuer) as Record<string, string>
})
afterEach(() => jwks.reset())
afterAll(() => server.close())

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work
    return 'ok'
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return error.code
    throw error
  }
}

describe('verified-assertion cache', () => {
  it('answers a repeated assertion from the cache from its third use (taken in at its second success), counted in events and cacheCounts', async () => {
    const events: TrustedProxyAuthEvent[] = []
    const verifier = createVerifier(loadConfig(env), { onEvent: (event) => events.push(event) })
    const token = await issuer.sign({}, { now: NOW })
    await verifier.verifyAssertion(token, { now: NOW })
    expect(verifier.cacheCounts()).toEqual({ size: 0, hits: 0, misses: 1 })
    const second = await verifier.verifyAssertion(token, { now: NOW + 1 })
    expect(verifier.cacheCounts()).toEqual({ size: 1, hits: 0, misses: 2 })
    const third = await verifier.verifyAssertion(token, { now: NOW + 2 })
    verifier.close()
    expect(third).toBe(second)
    expect(verifier.cacheCounts()).toEqual({ size: 1, hits: 1, misses: 2 })
    expect(events.filter((event) => event.type === 'verify_ok').map((event) => (event as { cached: boolean }).cached)).toEqual([false, false, true])
  })

  it('re-checks exp, nbf and the maximum age against the clock on every hit', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_CLOCK_TOLERANCE: '0', TRUSTED_PROXY_MAX_AGE: '100' }))
    const token = await issuer.sign({}, { now: NOW, expiresIn: 300 })
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW }))).toBe('ok')
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW }))).toBe('ok')
    expect(verifier.cacheCounts().size).toBe(1)
    // iat + TRUSTED_PROXY_MAX_AGE passed: expired although exp is later.
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW + 101 }))).toBe('expired')
    expect(verifier.cacheCounts().size).toBe(0)
    const notYet = await issuer.sign({}, { now: NOW, notBefore: NOW + 50 })
    expect(await codeOf(verifier.verifyAssertion(notYet, { now: NOW + 60 }))).toBe('ok')
    expect(await codeOf(verifier.verifyAssertion(notYet, { now: NOW + 60 }))).toBe('ok')
    expect(verifier.cacheCounts().size).toBe(1)
    // A clock that went back before nbf refuses the remembered assertion too.
    expect(await codeOf(verifier.verifyAssertion(notYet, { now: NOW + 10 }))).toBe('not_yet_valid')
    verifier.close()
  })

  it('hands out identities whose claims no caller can change: a remembered one is shared by every later hit, and its time checks read them', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_CLOCK_TOLERANCE: '0', TRUSTED_PROXY_MAX_AGE: '100', TRUSTED_PROXY_CACHE_MAX_AGE: '3600' }))
    const token = await issuer.sign({ roles: ['reader'], profile: { tenant: 't1' } }, { now: NOW, expiresIn: 3000 })
    const first = await verifier.verifyAssertion(token, { now: NOW })
    const remembered = await verifier.verifyAssertion(token, { now: NOW })
    for (const identity of [first, remembered]) {
      const claims = identity.claims as Record<string, unknown> & { roles: string[]; profile: { tenant: string } }
      // What an application might do with "its" identity (test files are strict mode: a frozen object throws).
      expect(() => {
        claims['iat'] = NOW + 1000
      }).toThrow(TypeError)
      expect(() => claims.roles.push('admin')).toThrow(TypeError)
      expect(() => {
        claims.profile.tenant = 't2'
      }).toThrow(TypeError)
    }
    const hit = await verifier.verifyAssertion(token, { now: NOW + 50 })
    expect(hit).toBe(remembered)
    expect(hit.claims).toMatchObject({ iat: NOW, roles: ['reader'], profile: { tenant: 't1' } })
    // iat + TRUSTED_PROXY_MAX_AGE passed: a hit refuses it exactly as a full verification does.
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW + 101 }))).toBe('expired')
    verifier.close()
  })

  it('refuses a remembered assertion once exp passed (+ tolerance), and forgets it after TRUSTED_PROXY_CACHE_MAX_AGE', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_CLOCK_TOLERANCE: '5', TRUSTED_PROXY_CACHE_MAX_AGE: '30' }))
    const token = await issuer.sign({}, { now: NOW, expiresIn: 60 })
    await verifier.verifyAssertion(token, { now: NOW })
    await verifier.verifyAssertion(token, { now: NOW })
    await verifier.verifyAssertion(token, { now: NOW + 29 })
    expect(verifier.cacheCounts()).toMatchObject({ hits: 1, misses: 2 })
    // Past the cache's maximum age: verified in full again (a miss), then remembered anew.
    await verifier.verifyAssertion(token, { now: NOW + 31 })
    expect(verifier.cacheCounts()).toMatchObject({ size: 1, hits: 1, misses: 3 })
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW + 64 }))).toBe('ok')
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW + 65 }))).toBe('expired')
    verifier.close()
  })

  it('never remembers a failure: a refused assertion is refused in full every time', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_ALLOWED_USERS: 'someone-else' }))
    const token = await issuer.sign({}, { now: NOW })
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW }))).toBe('forbidden_user')
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW }))).toBe('forbidden_user')
    const tampered = `${token.slice(0, -4)}AAAA`
    expect(await codeOf(verifier.verifyAssertion(tampered, { now: NOW }))).toBe('invalid_signature')
    expect(verifier.cacheCounts()).toEqual({ size: 0, hits: 0, misses: 3 })
    verifier.close()
  })

  it('still applies every request rule on a hit: trusted addresses and required headers', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8', TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy=edge' }))
    const token = await issuer.sign({}, { now: NOW })
    const headers = [[env['TRUSTED_PROXY_ASSERTION_HEADER']!, token], ['X-Proxy', 'edge']] as Array<[string, string]>
    expect(await codeOf(verifier.verifyRequest({ headers, remoteAddress: '10.1.2.3' }, { now: NOW }))).toBe('ok')
    expect(await codeOf(verifier.verifyRequest({ headers, remoteAddress: '10.1.2.3' }, { now: NOW }))).toBe('ok')
    expect(verifier.cacheCounts().size).toBe(1)
    expect(await codeOf(verifier.verifyRequest({ headers, remoteAddress: '192.0.2.1' }, { now: NOW }))).toBe('untrusted_source')
    expect(await codeOf(verifier.verifyRequest({ headers: headers.slice(0, 1), remoteAddress: '10.1.2.3' }, { now: NOW }))).toBe('missing_required_header')
    expect(await codeOf(verifier.verifyRequest({ headers, remoteAddress: '10.1.2.3' }, { now: NOW }))).toBe('ok')
    expect(verifier.cacheCounts()).toMatchObject({ hits: 1, misses: 2 })
    verifier.close()
  })

  it('drops an entry once its key left the refreshed key set (rotation), and keeps it while the key stays', async () => {
    const rotating = await createTestIssuer({ issuer: 'https://rotating.example', audience: 'app', subject: 'user-1' })
    server.use(...jwksHandlers(rotating).handlers)
    const clock = new ManualClock()
    const verifier = createVerifier(loadConfig({ ...(envFor(rotating) as Record<string, string>), TRUSTED_PROXY_JWKS_CACHE_TTL: '60' }), { clock: clock.now, scheduler: clock, random: () => 0.5 })
    await verifier.ready()
    const oldKid = rotating.currentKid
    const token = await rotating.sign({}, { now: NOW })
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW }))).toBe('ok')
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW }))).toBe('ok')
    expect(verifier.cacheCounts().size).toBe(1)
    // A refresh that still publishes the key keeps the entry (the key is recognised by its material, not its object).
    await clock.advance(61_000, settle)
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW }))).toBe('ok')
    expect(verifier.cacheCounts()).toMatchObject({ hits: 1 })
    await rotating.rotate()
    rotating.revoke(oldKid)
    await clock.advance(61_000, settle)
    expect(await codeOf(verifier.verifyAssertion(token, { now: NOW }))).toBe('unknown_key')
    expect(verifier.cacheCounts()).toMatchObject({ size: 0, hits: 1 })
    verifier.close()
  })

  it('TRUSTED_PROXY_CACHE_SIZE=0 turns the cache off', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_CACHE_SIZE: '0' }))
    const token = await issuer.sign({}, { now: NOW })
    await verifier.verifyAssertion(token, { now: NOW })
    await verifier.verifyAssertion(token, { now: NOW })
    expect(verifier.cacheCounts()).toEqual({ size: 0, hits: 0, misses: 0 })
    verifier.close()
  })

  it('holds at most its configured number of entries (5,000 distinct assertions, each succeeding twice, into 1,000; 100,000 into 10,000)', () => {
    for (const [size, inserts] of [
      [1_000, 5_000],
      [10_000, 100_000],
    ] as const) {
      const cache = new VerifiedAssertionCache(size)
      const entry = { identity: {} as never, key: 'sharedSecret' as const, reusableUntil: Number.POSITIVE_INFINITY, issuerEntry: 0, ...NO_WINDOW }
      for (let i = 0; i < inserts; i++) {
        cache.remember(`assertion-${i}`, () => entry)
        cache.remember(`assertion-${i}`, () => entry)
      }
      expect(cache.counts().size).toBe(size)
      // Least recently used first out: the newest entries are the ones kept.
      expect(cache.lookup(`assertion-${inserts - 1}`)).toBe(entry)
      expect(cache.lookup('assertion-0')).toBeUndefined()
    }
  })

  it('takes an assertion in from its second success only: assertions seen once never fill it nor evict what repeats', () => {
    const cache = new VerifiedAssertionCache(100)
    const entry = { identity: {} as never, key: 'sharedSecret' as const, reusableUntil: Number.POSITIVE_INFINITY, issuerEntry: 0, ...NO_WINDOW }
    let built = 0
    const build = (): typeof entry => {
      built++
      return entry
    }
    cache.remember('repeated-assertion', build)
    cache.remember('repeated-assertion', build)
    // 10,000 assertions that succeed once each, as from a proxy that signs one per request.
    for (let i = 0; i < 10_000; i++) cache.remember(`once-${i}`, build)
    expect(cache.counts().size).toBe(1)
    expect(built).toBe(1)
    expect(cache.lookup('repeated-assertion')).toBe(entry)
    expect(cache.lookup('once-9999')).toBeUndefined()
  })
  it('answers alike before its first store (its LRU is created then): no hit, forget is harmless, size 0', () => {
    const cache = new VerifiedAssertionCache(10)
    const entry = { identity: {} as never, key: 'sharedSecret' as const, reusableUntil: Number.POSITIVE_INFINITY, issuerEntry: 0, ...NO_WINDOW }
    expect(cache.lookup('header.payload.signature')).toBeUndefined()
    cache.forget('header.payload.signature')
    cache.remember('header.payload.signature', () => entry)
    expect(cache.counts().size).toBe(0)
    cache.remember('header.payload.signature', () => entry)
    expect(cache.counts().size).toBe(1)
    expect(cache.lookup('header.payload.signature')).toBe(entry)
    // Its size is still checked when the cache is made, not at the first store (on a request).
    for (const size of [0, 2.5, -1, Number.POSITIVE_INFINITY]) expect(() => new VerifiedAssertionCache(size)).toThrow(TypeError)
  })

  it('answers only the very assertion remembered: another one ending in the same characters neither hits nor evicts it', () => {
    const cache = new VerifiedAssertionCache(10)
    const entry = { identity: {} as never, key: 'sharedSecret' as const, reusableUntil: Number.POSITIVE_INFINITY, issuerEntry: 0, ...NO_WINDOW }
    const signature = 's'.repeat(86)
    const remembered = `header.payload-of-alice.${signature}`
    const lookalike = `header.payload-of-mallory.${signature}`
    cache.remember(remembered, () => entry)
    cache.remember(remembered, () => entry)
    expect(cache.lookup(lookalike)).toBeUndefined()
    cache.forget(lookalike)
    // A fresh copy of the text (as every request brings) still hits.
    expect(cache.lookup([...remembered].join(''))).toBe(entry)
    cache.forget(remembered)
    expect(cache.lookup(remembered)).toBeUndefined()
    expect(cache.counts().size).toBe(0)
  })

  it('answers a lookup of the assertion the last lookup found without the LRU, and lets it go with the LRU entry (eviction, replacement, forget)', () => {
    const cache = new VerifiedAssertionCache(2)
    const entry = (name: string) => ({ identity: { subject: name } as never, key: 'sharedSecret' as const, reusableUntil: Number.POSITIVE_INFINITY, issuerEntry: 0, ...NO_WINDOW })
    // Signatures of their own: the slot is chosen by the end of the text.
    const [a, b, c] = ['a', 'b', 'c'].map((name) => `header.payload-of-${name}.${name.repeat(86)}`) as [string, string, string]
    const [entryA, entryB, entryC] = [entry('a'), entry('b'), entry('c')]
    for (const [token, remembered] of [[a, entryA], [b, entryB]] as const) {
      cache.remember(token, () => remembered)
      cache.remember(token, () => remembered)
    }
    expect(cache.lookup(a)).toBe(entryA)
    // Found again from a fresh copy of the text, as every request brings; another text of the same length is not it.
    expect(cache.lookup([...a].join(''))).toBe(entryA)
    expect(cache.lookup(`header.payload-of-x.${'a'.repeat(86)}`)).toBeUndefined()
    expect(cache.lookup(a)).toBe(entryA)
    // Replaced: the new entry answers, not the one found before.
    const entryA2 = entry('a2')
    cache.store(a, entryA2)
    expect(cache.lookup(a)).toBe(entryA2)
    // Evicted: b was used after a's last LRU lookup, so c's entry pushes a out; a is then not found at all.
    expect(cache.lookup(b)).toBe(entryB)
    cache.remember(c, () => entryC)
    cache.remember(c, () => entryC)
    expect(cache.counts().size).toBe(2)
    expect(cache.lookup(a)).toBeUndefined()
    expect(cache.lookup(c)).toBe(entryC)
    // Forgotten: gone at once, though the last lookup found it.
    cache.forget(c)
    expect(cache.lookup(c)).toBeUndefined()
    expect(cache.lookup(b)).toBe(entryB)
    expect(cache.counts().size).toBe(1)
  })
})

/** Whether checkClaimTimes lets `payload` pass at `now`. */
function timesPass(payload: Record<string, unknown>, expiresAt: number, config: ReturnType<typeof loadConfig>, now: number): boolean {
  try {
    checkClaimTimes(payload, expiresAt, config, now)
    return true
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return false
    throw error
  }
}

// A hit skips checkClaimTimes inside passingTimes' window: the window must lie where those checks pass (same rule
// as Python's claims.passing_times, whose Hypothesis tests these mirror).
describe('the time window in which a cache hit skips checkClaimTimes', () => {
  const times = fc.double({ min: 1e9, max: 3e9, noNaN: true })
  it('holds no moment at which checkClaimTimes refuses, and holds the middle of a wide enough passing span', () => {
    fc.assert(
      fc.property(
        times,
        fc.option(times, { nil: undefined }),
        fc.option(times, { nil: undefined }),
        fc.integer({ min: 0, max: 600 }),
        fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
        times,
        (exp, nbf, iat, tolerance, maxAge, at) => {
          const config = loadConfig({ ...env, TRUSTED_PROXY_CLOCK_TOLERANCE: String(tolerance), ...(maxAge === undefined ? {} : { TRUSTED_PROXY_MAX_AGE: String(maxAge) }) })
          const payload = { ...(nbf === undefined ? {} : { nbf }), ...(iat === undefined ? {} : { iat }) }
          const [earliest, latest] = passingTimes(payload, exp, config)
          for (const moment of [at, earliest, latest]) {
            if (earliest <= moment && moment <= latest) expect(timesPass(payload, exp, config, moment)).toBe(true)
          }
          const low = Math.max(...[nbf, iat].filter((value) => value !== undefined).map((value) => value - tolerance), Number.NEGATIVE_INFINITY)
          const high = Math.min(exp + tolerance, iat !== undefined && maxAge !== undefined ? iat + maxAge + tolerance : Number.POSITIVE_INFINITY)
          if (high - low > 1) {
            const middle = low > Number.NEGATIVE_INFINITY ? (high + low) / 2 : high - 1
            expect(earliest <= middle && middle <= latest).toBe(true)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('far from today (up to 1e18 s, where one float step exceeds a fixed margin) still never admits a refused moment', () => {
    const wide = fc.double({ min: -1e18, max: 1e18, noNaN: true })
    const check = (exp: number, nbf: number | undefined, tolerance: number, at: number): void => {
      const config = loadConfig({ ...env, TRUSTED_PROXY_CLOCK_TOLERANCE: String(tolerance) })
      const payload = nbf === undefined ? {} : { nbf }
      const [earliest, latest] = passingTimes(payload, exp, config)
      for (const moment of [at, earliest, latest]) {
        if (earliest <= moment && moment <= latest) expect(timesPass(payload, exp, config, moment)).toBe(true)
      }
    }
    // One float step at 1e16 is 2 s: nbf 1e16 + 2 with now 1e16 is refused, and a fixed margin alone would let it in.
    check(2e16, 1e16 + 2, 1, 1e16)
    fc.assert(fc.property(wide, fc.option(wide, { nil: undefined }), fc.integer({ min: 0, max: 600 }), wide, check), { numRuns: 2000 })
  })

  it('is empty when a time claim is not a finite number, so every hit runs the checks', () => {
    const config = loadConfig(env)
    expect(passingTimes({ nbf: Number.POSITIVE_INFINITY }, NOW + 60, config)).toBe(NO_PASSING_TIMES)
    expect(passingTimes({ iat: '1700000000' }, NOW + 60, config)).toBe(NO_PASSING_TIMES)
    expect(passingTimes({}, Number.POSITIVE_INFINITY, config)).toBe(NO_PASSING_TIMES)
  })
})
