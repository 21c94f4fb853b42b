import { createTestIssuer, envFor, type TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { jwksHandlers } from '@mieweb/trusted-proxy-auth-testing/msw'
import { setupServer } from 'msw/node'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  acquireVerifier,
  createVerifier,
  loadConfig,
  TrustedProxyAuthError,
  verifyRequestNow,
  type HeadersInput,
  type RequestLike,
  type TrustedIdentity,
  type TrustedProxyAuthEvent,
  type Verifier,
  type VerifyOptions,
} from '../src/index.js'
import { ManualClock } from './manual-clock.js'

// verifyRequestNow must give exactly verifyRequest's verdicts and events: the same steps run through both,
// each on a verifier of its own built the same way, and everything observable is compared.
const NOW = 1_700_000_000
const HEADER = 'x-test-assertion'
let issuer: TestIssuer
let env: Record<string, string>
const server = setupServer()

beforeAll(async () => {
  issuer = await createTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'user-1' })
  server.use(...jwksHandlers(issuer).handlers)
  server.listen({ onUnhandledRequest: 'error' })
  env = envFor(issuer, { TRUSTED_PROXY_ASSERTION_HEADER: HEADER })
})
afterAll(() => server.close())

interface Step {
  readonly request: RequestLike
  readonly now: number
}

/** What one verification showed: the identity (as JSON) or the error's code and detail, and how it came. */
interface Observed {
  readonly outcome: string
  /** `now`: returned as it is; `later`: as a promise; `thrown`: threw (never allowed). */
  readonly came: 'now' | 'later' | 'thrown'
}

const describeError = (error: unknown): string =>
  error instanceof TrustedProxyAuthError ? `error ${error.code}: ${error.detail ?? ''}` : `unexpected ${String(error)}`

async function observe(verify: () => TrustedIdentity | null | Promise<TrustedIdentity | null>): Promise<Observed> {
  let answer: TrustedIdentity | null | Promise<TrustedIdentity | null>
  try {
    answer = verify()
  } catch (error) {
    return { outcome: describeError(error), came: 'thrown' }
  }
  const came = answer instanceof Promise ? 'later' : 'now'
  try {
    return { outcome: `identity ${JSON.stringify(await answer)}`, came }
  } catch (error) {
    return { outcome: describeError(error), came }
  }
}

/** Runs the steps through `verify` on a new verifier; what each showed, the events and the cache counts. */
async function runSteps(
  stepEnv: Record<string, string>,
  steps: readonly Step[],
  verify: (verifier: Verifier, request: RequestLike, options: VerifyOptions) => TrustedIdentity | null | Promise<TrustedIdentity | null>,
): Promise<{ observed: Observed[]; events: TrustedProxyAuthEvent[]; counts: unknown }> {
  const events: TrustedProxyAuthEvent[] = []
  const verifier = createVerifier(loadConfig(stepEnv), { onEvent: (event) => events.push(event) })
  try {
    await verifier.ready()
    const observed: Observed[] = []
    for (const step of steps) observed.push(await observe(() => verify(verifier, step.request, { now: step.now })))
    return { observed, events: events.filter((event) => event.type.startsWith('verify_')), counts: verifier.cacheCounts() }
  } finally {
    verifier.close()
  }
}

const asPromised = (verifier: Verifier, request: RequestLike, options: VerifyOptions): Promise<TrustedIdentity | null> => verifier.verifyRequest(request, options)
const asNow = (verifier: Verifier, request: RequestLike, options: VerifyOptions): TrustedIdentity | null | Promise<TrustedIdentity | null> =>
  verifyRequestNow(verifier, request, options)

/** Both paths over the same steps: equal outcomes, events and counts; returns the immediate path's answers. */
async function expectSameVerdicts(stepEnv: Record<string, string>, steps: readonly Step[]): Promise<Observed[]> {
  const promised = await runSteps(stepEnv, steps, asPromised)
  const now = await runSteps(stepEnv, steps, asNow)
  expect(now.observed.map((step) => step.outcome)).toEqual(promised.observed.map((step) => step.outcome))
  expect(now.events).toEqual(promised.events)
  expect(now.counts).toEqual(promised.counts)
  expect(promised.observed.every((step) => step.came === 'later')).toBe(true)
  // An acceptance may come at once; a rejection always comes as a promise; nothing is ever thrown.
  for (const step of now.observed) expect(step.came === 'later' || (step.came === 'now' && step.outcome.startsWith('identity'))).toBe(true)
  return now.observed
}

describe('verifyRequestNow', () => {
  it('gives verifyRequest’s verdict and events for every request rule, on a miss and on a cache hit', async () => {
    const good = await issuer.sign({}, { now: NOW, expiresIn: 300 })
    const notYet = await issuer.sign({ sub: 'user-2' }, { now: NOW, notBefore: NOW + 50 })
    const tampered = `${good.slice(0, -4)}AAAA`
    const stepEnv = { ...env, TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8', TRUSTED_PROXY_REQUIRED_HEADERS: 'X-Proxy=edge', TRUSTED_PROXY_CLOCK_TOLERANCE: '0', TRUSTED_PROXY_MAX_AGE: '100' }
    const peer = '10.1.2.3'
    const request = (headers: HeadersInput, remoteAddress: string | null = peer): RequestLike => ({ headers, remoteAddress })
    const withProxy = (token: string): Array<[string, string]> => [
      [HEADER, token],
      ['X-Proxy', 'edge'],
    ]
    const steps: Step[] = [
      { request: request(withProxy(good)), now: NOW },
      { request: request(withProxy(good)), now: NOW + 1 },
      // Every form of headers an adapter passes, each a hit.
      { request: request([HEADER.toUpperCase(), good, 'x-proxy', 'edge']), now: NOW + 2 },
      { request: request({ [HEADER]: good, 'x-proxy': 'edge' }), now: NOW + 2 },
      { request: request(new Headers(withProxy(good))), now: NOW + 2 },
      // The per-request rules still decide on a hit.
      { request: request(withProxy(good), '192.0.2.1'), now: NOW + 3 },
      { request: request(withProxy(good), null), now: NOW + 3 },
      { request: request([[HEADER, good]]), now: NOW + 3 },
      { request: request([...withProxy(good), ['X-Proxy', 'edge']]), now: NOW + 3 },
      { request: request([[HEADER, good], ['X-Proxy', 'other']]), now: NOW + 3 },
      { request: request([...withProxy(good), [HEADER, good]]), now: NOW + 3 },
      { request: request([HEADER, good, 'x-proxy', 'edge', HEADER, good]), now: NOW + 3 },
      { request: request(withProxy(`${good},${good}`)), now: NOW + 3 },
      { request: request([['X-Proxy', 'edge']]), now: NOW + 3 },
      // The clock on a hit: past iat + max age (the entry is dropped), then verified in full again.
      { request: request(withProxy(good)), now: NOW + 101 },
      { request: request(withProxy(good)), now: NOW + 50 },
      { request: request(withProxy(good)), now: NOW + 51 },
      { request: request(withProxy(notYet)), now: NOW + 60 },
      { request: request(withProxy(notYet)), now: NOW + 10 },
      { request: request(withProxy(tampered)), now: NOW + 3 },
    ]
    const observed = await expectSameVerdicts(stepEnv, steps)
    const how = (step: Observed): string => (step.came === 'now' ? 'now' : step.outcome.startsWith('identity') ? 'later' : step.outcome.split(':')[0]!)
    // The very first verification imports its key (the key source's work, which may wait); every later acceptance comes at once.
    expect(observed.map(how)).toEqual([
      'later',
      'now',
      'now',
      'now',
      'now',
      'error untrusted_source',
      'error untrusted_source',
      'error missing_required_header',
      'error missing_required_header',
      'error missing_required_header',
      'error malformed_assertion',
      'error malformed_assertion',
      'error malformed_assertion',
      'error missing_assertion',
      'error expired',
      'now',
      'now',
      'now',
      'error not_yet_valid',
      'error invalid_signature',
    ])
  })

  it('answers null at once in mode optional without an assertion, as verifyRequest resolves it', async () => {
    const observed = await expectSameVerdicts({ ...env, TRUSTED_PROXY_MODE: 'optional' }, [{ request: { headers: [] }, now: NOW }])
    expect(observed).toEqual([{ outcome: 'identity null', came: 'now' }])
  })

  it('waits (a promise) while the key set loads, and answers at once after', async () => {
    const verifier = createVerifier(loadConfig(env))
    const token = await issuer.sign({}, { now: NOW })
    const first = verifier.verifyRequestNow!({ headers: [[HEADER, token]] }, { now: NOW })
    expect(first).toBeInstanceOf(Promise)
    expect(await first).toMatchObject({ subject: 'user-1' })
    expect(verifier.verifyRequestNow!({ headers: [[HEADER, token]] }, { now: NOW })).toMatchObject({ subject: 'user-1' })
    verifier.close()
  })

  it('drops a hit whose key left the refreshed key set, exactly as verifyRequest does', async () => {
    const outcomes: string[][] = []
    for (const verify of [asPromised, asNow]) {
      const rotating = await createTestIssuer({ issuer: 'https://rotating.example', audience: 'app', subject: 'user-1' })
      server.use(...jwksHandlers(rotating).handlers)
      const clock = new ManualClock()
      const settle = async (): Promise<void> => {
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
      }
      const verifier = createVerifier(loadConfig(envFor(rotating, { TRUSTED_PROXY_ASSERTION_HEADER: HEADER, TRUSTED_PROXY_JWKS_CACHE_TTL: '60' })), { clock: clock.now, scheduler: clock, random: () => 0.5 })
      await verifier.ready()
      const token = await rotating.sign({}, { now: NOW })
      const seen: string[] = []
      const step = async (): Promise<void> => {
        seen.push((await observe(() => verify(verifier, { headers: [[HEADER, token]] }, { now: NOW }))).outcome.split(':')[0]!)
      }
      await step()
      await step()
      const oldKid = rotating.currentKid
      await rotating.rotate()
      rotating.revoke(oldKid)
      await clock.advance(61_000, settle)
      await step()
      outcomes.push([...seen, JSON.stringify(verifier.cacheCounts())])
      verifier.close()
    }
    expect(outcomes[1]).toEqual(outcomes[0])
    expect(outcomes[0]!.slice(0, 3)).toEqual(['identity {"subject"', 'identity {"subject"', 'error unknown_key'])
  })

  it('answers at once through a shared verifier’s handle too', async () => {
    const shared = acquireVerifier(loadConfig({ ...env, TRUSTED_PROXY_AUDIENCE: 'app-shared' }))
    const token = await issuer.sign({ aud: 'app-shared' }, { now: NOW })
    await verifyRequestNow(shared, { headers: [[HEADER, token]] }, { now: NOW })
    expect(verifyRequestNow(shared, { headers: [[HEADER, token]] }, { now: NOW })).toMatchObject({ subject: 'user-1' })
    shared.close()
  })

  it('falls back to verifyRequest for a verifier without it, as a promise of this realm, never throwing', async () => {
    const identity = { subject: 'from-elsewhere' } as TrustedIdentity
    const thenable = { then: (resolve: (value: TrustedIdentity) => void) => resolve(identity) } as unknown as Promise<TrustedIdentity>
    const elsewhere = { verifyRequest: () => thenable } as unknown as Verifier
    const answer = verifyRequestNow(elsewhere, { headers: [] })
    expect(answer).toBeInstanceOf(Promise)
    expect(await answer).toBe(identity)
    const throwing = {
      verifyRequest: () => {
        throw new TrustedProxyAuthError('missing_assertion')
      },
    } as unknown as Verifier
    await expect(verifyRequestNow(throwing, { headers: [] })).rejects.toMatchObject({ code: 'missing_assertion' })
  })

  it('holds a verifier of one’s own to the verdict’s shape: what is not an identity, null or a promise of one fails closed', async () => {
    const identity = { subject: 'from-elsewhere' } as TrustedIdentity
    // A promise of another realm fails an adapter's `instanceof Promise`: taken as an identity, it let every request in.
    const otherRealm = runInNewContext('(value, fail) => fail ? Promise.reject(new Error("refused elsewhere")) : Promise.resolve(value)') as (value: unknown, fail: boolean) => unknown
    const answering = (answer: () => unknown): Verifier => ({ verifyRequest: () => Promise.reject(new Error('not called')), verifyRequestNow: answer }) as unknown as Verifier
    const withThenMember = { then: 1, subject: 'x' }
    // Each answer, and what the verdict settles to: the identity, null, or a rejection whose message matches.
    const cases: Array<[string, () => unknown, object | null | RegExp]> = [
      ['a rejecting promise of another realm', () => otherRealm(null, true), /refused elsewhere/],
      ['a promise of another realm resolving to an identity', () => otherRealm(identity, false), identity],
      ['a promise of another realm resolving to null', () => otherRealm(null, false), null],
      ['a rejecting thenable', () => ({ then: (_resolve: unknown, reject: (error: Error) => void) => reject(new Error('refused by a thenable')) }), /refused by a thenable/],
      ['undefined at once', () => undefined, /neither an identity, null nor a promise/],
      ['a string at once (never shown)', () => 'eyJhbGciOi.secret.sig', /neither an identity, null nor a promise/],
      ['false at once', () => false, /neither an identity, null nor a promise/],
      ['a promise resolving to undefined', () => Promise.resolve(undefined), /neither an identity, null nor a promise/],
      ['a promise of another realm resolving to a string', () => otherRealm('eyJhbGciOi.secret.sig', false), /neither an identity, null nor a promise/],
      ['a promise resolving to an identity with a `then` member that is not a function', () => Promise.resolve(withThenMember), withThenMember],
      [
        'a throw',
        () => {
          throw new TrustedProxyAuthError('invalid_signature')
        },
        /signature/i,
      ],
    ]
    for (const [name, answer, expected] of cases) {
      const verdict = verifyRequestNow(answering(answer), { headers: [] })
      if (expected instanceof RegExp) {
        expect(verdict, name).toBeInstanceOf(Promise)
        const error = await (verdict as Promise<unknown>).then(
          () => new Error('accepted'),
          (reason: unknown) => reason as Error,
        )
        expect(error.message, name).toMatch(expected)
        expect(error.message, name).not.toContain('secret')
      } else {
        const settled = await verdict
        expect(settled, name).toBe(expected)
      }
    }
    // The built-in verifier's own answers keep their shape: an identity at once on a hit, not a promise.
    const verifier = createVerifier(loadConfig(env))
    await verifier.ready()
    const token = await issuer.sign({}, { now: NOW })
    await verifier.verifyRequest({ headers: [[HEADER, token]] }, { now: NOW })
    await verifier.verifyRequest({ headers: [[HEADER, token]] }, { now: NOW })
    const hit = verifyRequestNow(verifier, { headers: [[HEADER, token]] }, { now: NOW })
    verifier.close()
    expect(hit).not.toBeInstanceOf(Promise)
    expect(hit).toMatchObject({ subject: 'user-1' })
  })

  it('builds verify_ok for a debug logger when no listener is given', async () => {
    const lines: string[] = []
    const log = (line: string): void => {
      lines.push(line)
    }
    const verifier = createVerifier(loadConfig(env), { logger: { debug: log, info: log, warn: log, error: log } })
    await verifier.ready()
    const token = await issuer.sign({}, { now: NOW })
    await verifier.verifyRequest({ headers: [[HEADER, token]] }, { now: NOW })
    verifyRequestNow(verifier, { headers: [[HEADER, token]] }, { now: NOW })
    verifier.close()
    expect(lines.filter((line) => line === 'verified subject "user-1"')).toHaveLength(2)
  })
})
