import { createTestIssuer, envFor, type TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { jwksHandlers, type JwksMock } from '@mieweb/trusted-proxy-auth-testing/msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, loadConfig, toProblemDetails, TrustedProxyAuthError, type TrustedProxyAuthEvent } from '../src/index.js'
import { POOL_THRESHOLD, verificationsInFlight } from '../src/signature-load.js'

const NOW = 1_700_000_000
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

const sign = (claims: Record<string, unknown> = {}): Promise<string> => issuer.sign(claims, { now: NOW })

describe('the path that answers without waiting (keys loaded and imported)', () => {
  it('decides before verifyAssertion returns, success and failure alike, with the same answers as the general path', async () => {
    const events: string[] = []
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_CACHE_SIZE: '0' }), { onEvent: (event) => events.push(event.type) })
    const token = await sign()
    // The first verification loads and imports the key (the general path).
    await expect(verifier.verifyAssertion(token, { now: NOW })).resolves.toMatchObject({ subject: 'user-1' })
    events.length = 0
    const answered = verifier.verifyAssertion(await sign({ sub: 'user-2' }), { now: NOW })
    expect(events).toEqual(['verify_ok'])
    await expect(answered).resolves.toMatchObject({ subject: 'user-2' })
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
    const rejected = verifier.verifyAssertion(forged, { now: NOW })
    expect(events).toEqual(['verify_ok', 'verify_failed'])
    await expect(rejected).rejects.toMatchObject({ code: 'invalid_signature', detail: 'signature does not verify with kid "test-es256-1" and alg "ES256"' })
    await expect(verifier.verifyAssertion(token, { now: NOW + 10_000 })).rejects.toMatchObject({ code: 'expired' })
    verifier.close()
  })

  it('counts verifications started together as in flight until their callers resume, so a burst uses the thread pool', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_CACHE_SIZE: '0' }))
    await verifier.verifyAssertion(await sign(), { now: NOW })
    const tokens = await Promise.all(Array.from({ length: POOL_THRESHOLD + 2 }, (_, i) => sign({ sub: `user-${i}` })))
    // One caller awaiting each answer in turn: never more than one in flight.
    for (const token of tokens) {
      const answer = verifier.verifyAssertion(token, { now: NOW })
      expect(verificationsInFlight()).toBe(1)
      await answer
    }
    expect(verificationsInFlight()).toBe(0)
    // All at once: the count reaches the threshold, the rest are checked on the pool, all are answered.
    const burst = tokens.map((token) => verifier.verifyAssertion(token, { now: NOW }))
    expect(verificationsInFlight()).toBe(tokens.length)
    expect((await Promise.all(burst)).map((identity) => identity.subject)).toEqual(tokens.map((_, i) => `user-${i}`))
    expect(verificationsInFlight()).toBe(0)
    verifier.close()
  })

  it('decides trusted peers the same after it has seen more peer addresses than it remembers', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8' }))
    const headers = { [env['TRUSTED_PROXY_ASSERTION_HEADER']!.toLowerCase()]: await sign() }
    for (let i = 0; i < 1100; i++) {
      const peer = `192.168.${i >> 8}.${i & 255}`
      await expect(verifier.verifyRequest({ headers, remoteAddress: peer }, { now: NOW })).rejects.toMatchObject({ code: 'untrusted_source' })
      if (i % 100 === 0) await expect(verifier.verifyRequest({ headers, remoteAddress: '10.1.2.3' }, { now: NOW })).resolves.toMatchObject({ subject: 'user-1' })
    }
    await expect(verifier.verifyRequest({ headers, remoteAddress: '10.1.2.3' }, { now: NOW })).resolves.toMatchObject({ subject: 'user-1' })
    await expect(verifier.verifyRequest({ headers, remoteAddress: '::ffff:10.1.2.3' }, { now: NOW })).resolves.toMatchObject({ subject: 'user-1' })
    await expect(verifier.verifyRequest({ headers, remoteAddress: '192.168.0.0' }, { now: NOW })).rejects.toMatchObject({ code: 'untrusted_source' })
    verifier.close()
  })
})

describe('createVerifier', () => {
  it('reports events for logs and metrics without ever carrying the assertion', async () => {
    const events: TrustedProxyAuthEvent[] = []
    const verifier = createVerifier(loadConfig(env), { onEvent: (event) => events.push(event) })
    const token = await sign()
    await verifier.verifyAssertion(token, { now: NOW })
    await expect(verifier.verifyAssertion(token, { now: NOW + 10_000 })).rejects.toMatchObject({ code: 'expired' })
    verifier.close()
    expect(events.map((event) => event.type)).toEqual(['jwks_fetch_ok', 'verify_ok', 'verify_failed'])
    const serialized = JSON.stringify(events)
    for (const segment of token.split('.')) expect(serialized).not.toContain(segment)
  })

  it('keeps authenticating when the event hook throws', async () => {
    const verifier = createVerifier(loadConfig(env), {
      onEvent: () => {
        throw new Error('metrics backend down')
      },
    })
    await expect(verifier.verifyAssertion(await sign(), { now: NOW })).resolves.toMatchObject({ subject: 'user-1' })
    verifier.close()
  })

  it('answers jwks_unavailable with a Retry-After hint while keys cannot be loaded', async () => {
    jwks.setFailures(['500', '500', '500'])
    const verifier = createVerifier(loadConfig(env))
    const error = await verifier.verifyAssertion(await sign(), { now: NOW }).catch((caught: unknown) => caught)
    verifier.close()
    expect(error).toBeInstanceOf(TrustedProxyAuthError)
    expect(error).toMatchObject({ code: 'jwks_unavailable', status: 503 })
    expect((error as TrustedProxyAuthError).retryAfter).toBeGreaterThanOrEqual(1)
    const problem = toProblemDetails(error)
    expect(problem.status).toBe(503)
    expect(Number(problem.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it('maps __proto__ and constructor claims as plain data without polluting prototypes', async () => {
    const verifier = createVerifier(loadConfig(env))
    const token = await sign(JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'))
    const identity = await verifier.verifyAssertion(token, { now: NOW })
    verifier.close()
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.prototype.hasOwnProperty.call(identity.claims, '__proto__')).toBe(true)
    expect(Object.isFrozen(identity)).toBe(true)
  })

  it('hands out identities whose claims are frozen all the way down, on the general path, without waiting and on a cache hit', async () => {
    const verifier = createVerifier(loadConfig(env))
    const claims = { groups: ['a', 'b'], profile: { roles: ['admin'], org: { id: 7 } } }
    const frozenThroughout = (identity: { claims: Record<string, unknown> }): void => {
      const profile = identity.claims['profile'] as { roles: string[]; org: { id: number } }
      expect(Object.isFrozen(identity)).toBe(true)
      expect(Object.isFrozen(identity.claims)).toBe(true)
      expect(Object.isFrozen(identity.claims['groups'])).toBe(true)
      expect(Object.isFrozen(profile)).toBe(true)
      expect(Object.isFrozen(profile.roles)).toBe(true)
      expect(Object.isFrozen(profile.org)).toBe(true)
      expect(() => profile.roles.push('root')).toThrow(TypeError)
    }
    // The first verification loads the keys (general path); the next answers without waiting; the cache takes an
    // assertion in from its second success, so the third is a hit.
    frozenThroughout(await verifier.verifyAssertion(await sign({ ...claims, sub: 'first' }), { now: NOW }))
    const token = await sign(claims)
    for (let i = 0; i < 3; i++) frozenThroughout(await verifier.verifyAssertion(token, { now: NOW }))
    expect(verifier.cacheCounts().hits).toBe(1)
    verifier.close()
  })

  it('reads no member Object.prototype was given (prototype pollution) as a claim; a signed claim of the same value is kept', async () => {
    const prototype = Object.prototype as Record<string, unknown>
    const polluted = { email: 'admin@example.com', email_verified: true, groups: ['admins'], nbf: NOW + 3_600 }
    // TRUSTED_PROXY_CLAIM_NAME toString: a name every object inherits a function for.
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_CACHE_SIZE: '0', TRUSTED_PROXY_CLAIM_NAME: 'toString' }))
    Object.assign(prototype, polluted)
    try {
      const identity = await verifier.verifyAssertion(await sign({ sub: 'user-2' }), { now: NOW })
      expect(identity).toMatchObject({ subject: 'user-2', email: null, emailVerified: null, name: null, groups: [] })
      const signed = await verifier.verifyAssertion(await sign({ email: 'admin@example.com', groups: polluted.groups }), { now: NOW })
      expect(signed).toMatchObject({ email: 'admin@example.com', emailVerified: null })
      // The very array Object.prototype holds is read only as the payload's own (a parsed payload never holds it).
      expect(signed.groups).toEqual(['admins'])
    } finally {
      for (const name of Object.keys(polluted)) delete prototype[name]
      verifier.close()
    }
  })

  it('reads no alg or kid Object.prototype was given as a header member: a header without alg stays malformed', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_CACHE_SIZE: '0' }))
    const [key] = issuer.keys
    const withoutAlg = await issuer.signRaw({ kid: key!.kid, typ: 'JWT' }, issuer.claims({}, { now: NOW }), { kid: key!.kid })
    Object.assign(Object.prototype, { alg: key!.alg, kid: key!.kid })
    try {
      await expect(verifier.verifyAssertion(withoutAlg, { now: NOW })).rejects.toMatchObject({ code: 'malformed_assertion', detail: 'header member "alg" is missing' })
    } finally {
      delete (Object.prototype as Record<string, unknown>)['alg']
      delete (Object.prototype as Record<string, unknown>)['kid']
      verifier.close()
    }
  })

  it('reads no NaN or accessor Object.prototype was given as a claim (a review found both passing a value comparison)', async () => {
    const verifier = createVerifier(loadConfig({ ...env, TRUSTED_PROXY_CACHE_SIZE: '0' }))
    const token = await sign({ sub: 'user-3' })
    const names = ['email', 'email_verified', 'groups', 'nbf']
    const inherited = {
      // NaN is not equal to itself.
      nan: () => Number.NaN,
      // A fresh value on every read, and one that differs by the object it is read from.
      fresh: () => ['admins'],
      receiverDependent: function (this: unknown) {
        return this === Object.prototype ? undefined : 'admin@example.com'
      },
    }
    try {
      for (const [kind, get] of Object.entries(inherited)) {
        for (const name of names) Object.defineProperty(Object.prototype, name, kind === 'nan' ? { value: get(), configurable: true, writable: true } : { get, configurable: true })
        const identity = await verifier.verifyAssertion(token, { now: NOW })
        expect(identity, kind).toMatchObject({ subject: 'user-3', email: null, emailVerified: null, groups: [] })
        for (const name of names) delete (Object.prototype as Record<string, unknown>)[name]
      }
    } finally {
      for (const name of names) delete (Object.prototype as Record<string, unknown>)[name]
      verifier.close()
    }
  })

  it('exposes key health through ready() and status()', async () => {
    const verifier = createVerifier(loadConfig(env))
    await verifier.ready()
    expect(verifier.status()).toMatchObject({ state: 'ready', keyCount: 1, lastError: null, fetchCount: 1 })
    verifier.close()
  })
})

describe('toProblemDetails', () => {
  it('builds an RFC 9457 body with the contract status and a WWW-Authenticate challenge, never the token', () => {
    const problem = toProblemDetails(new TrustedProxyAuthError('invalid_signature'), '/orders')
    expect(problem.status).toBe(401)
    expect(problem.headers['content-type']).toBe('application/problem+json')
    expect(problem.headers['www-authenticate']).toBe('Bearer realm="trusted-proxy", error="invalid_token"')
    expect(problem.body).toEqual({
      type: expect.stringMatching(/errors\.md#invalid_signature$/),
      title: 'Invalid signature',
      status: 401,
      detail: 'the identity assertion signature is invalid',
      code: 'invalid_signature',
      instance: '/orders',
    })
  })

  it('answers 403 for forbidden_user and hides unexpected errors behind a generic 500', () => {
    expect(toProblemDetails(new TrustedProxyAuthError('forbidden_user')).status).toBe(403)
    const unexpected = toProblemDetails(new Error('secret internals'))
    expect(unexpected.status).toBe(500)
    expect(JSON.stringify(unexpected.body)).not.toContain('secret internals')
  })
})
