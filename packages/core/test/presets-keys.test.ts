import { createTestIssuer, startTestIssuer, type TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { exportSPKI, type JWK } from 'jose'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, loadConfig, TrustedProxyAuthError, type TrustedProxyAuthEvent, type Verifier } from '../src/index.js'
import { ManualClock } from './manual-clock.js'

// Key sources the presets add (contract/presets.json `jwksUrlRules`): one PEM per kid (aws-alb), OpenID
// discovery (oauth2-proxy), the refetch of kidOptionalTryAll (teleport) and the shared secret (authentik).

const NOW = 1_767_225_660
const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac'
const USER_POOL = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ex4mpLe01'
const CLIENT_ID = '3a33a02r5hn3onhtu1mr0dit20'
const KEY_HOST = 'https://keys.alb.test'
const KID = 'abb8289f-e3a4-4a34-9472-c2105e2b2482'

type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang'

/** A fetch that answers from `answer(url)` and records every URL asked for. */
function stubFetch(answer: (url: string) => Answer | Promise<Answer>): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = []
  const fetchStub = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    urls.push(url)
    const planned = await answer(url)
    if (planned === 'hang') {
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason ?? new DOMException('aborted', 'AbortError')))
      })
    }
    return new Response(planned.body ?? '', { status: planned.status, headers: planned.headers ?? {} })
  }) as typeof fetch
  return { fetch: fetchStub, urls }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

const verifiers: Verifier[] = []
afterEach(() => {
  for (const verifier of verifiers.splice(0)) verifier.close()
})
function track(verifier: Verifier): Verifier {
  verifiers.push(verifier)
  return verifier
}

async function rejection(promise: Promise<unknown>): Promise<TrustedProxyAuthError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (caught: unknown) => caught,
  )
  if (!(error instanceof TrustedProxyAuthError)) throw error
  return error
}

describe('kidTemplate keys (preset aws-alb)', () => {
  let signer: TestIssuer
  let pem: string

  beforeAll(async () => {
    signer = await createTestIssuer({ algorithms: ['ES256'] })
    pem = await exportSPKI(signer.keys[0]!.publicKey)
  })

  const albToken = (kid: string, claims: Record<string, unknown> = {}): Promise<string> =>
    signer.signRaw(
      { typ: 'JWT', kid, alg: 'ES256', iss: USER_POOL, client: CLIENT_ID, signer: ARN, exp: NOW + 60 },
      { sub: '4b5bef9c-f2b5-40ff-a412-412cba9d0702', email: 'alice@example.com', email_verified: 'true', exp: NOW + 60, iss: USER_POOL, ...claims },
      { kid: signer.currentKid },
    )

  function albVerifier(answer: (url: string) => Answer | Promise<Answer>, settings: Record<string, string> = {}) {
    const clock = new ManualClock()
    const host = stubFetch(answer)
    const events: TrustedProxyAuthEvent[] = []
    const config = loadConfig({
      TRUSTED_PROXY_PRESET: 'aws-alb',
      TRUSTED_PROXY_AWS_ALB_ARN: ARN,
      TRUSTED_PROXY_ISSUER: USER_POOL,
      TRUSTED_PROXY_AUDIENCE: CLIENT_ID,
      TRUSTED_PROXY_JWKS_URL: `${KEY_HOST}/{kid}`,
      TRUSTED_PROXY_JWKS_CACHE_TTL: '600',
      TRUSTED_PROXY_JWKS_COOLDOWN: '30',
      TRUSTED_PROXY_JWKS_MAX_STALE: '3600',
      ...settings,
    })
    const verifier = track(createVerifier(config, { fetch: host.fetch, clock: clock.now, scheduler: clock, onEvent: (event) => events.push(event) }))
    const verify = async (kid: string) => verifier.verifyAssertion(await albToken(kid), { now: NOW })
    return { verifier, clock, urls: host.urls, events, verify }
  }

  const servePem = (url: string): Answer => (url.startsWith(`${KEY_HOST}/`) ? { status: 200, body: pem } : { status: 404 })

  it('is ready before any kid is known and fetches each kid once, into a per-kid cache', async () => {
    const { verifier, urls, events, verify } = albVerifier(servePem)
    await verifier.ready()
    expect(verifier.status()).toMatchObject({ state: 'ready', keyCount: 0, fetchCount: 0 })
    await expect(verify(KID)).resolves.toMatchObject({ subject: '4b5bef9c-f2b5-40ff-a412-412cba9d0702', audience: [CLIENT_ID], emailVerified: true })
    await verify(KID)
    expect(urls).toEqual([`${KEY_HOST}/${KID}`])
    expect(verifier.status()).toMatchObject({ state: 'ready', keyCount: 1, fetchCount: 1, lastError: null })
    expect(events.filter((event) => event.type !== 'verify_ok')).toEqual([
      { type: 'unknown_kid', kid: KID, refetched: true },
      expect.objectContaining({ type: 'jwks_fetch_ok', url: `${KEY_HOST}/${KID}`, keyCount: 1 }),
    ])
  })

  it('never fetches for a kid that is not a UUID', async () => {
    const { verify, urls } = albVerifier(servePem)
    for (const kid of ['example-key', `../${KID}`, `${KID}?x=1`, `${KID}#`, '']) expect((await rejection(verify(kid))).code, kid).toBe('unknown_key')
    expect(urls).toEqual([])
  })

  it('shares one fetch between concurrent requests for the same kid', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { verify, urls } = albVerifier(async (url) => {
      await gate
      return servePem(url)
    })
    const pending = Array.from({ length: 5 }, () => verify(KID))
    await settle()
    release()
    await Promise.all(pending)
    expect(urls).toHaveLength(1)
  })

  it('refetches past freshness, honouring Cache-Control max-age between the cooldown and the TTL', async () => {
    let maxAge = '5'
    const { verify, urls, clock } = albVerifier(() => ({ status: 200, body: pem, headers: { 'cache-control': `public, max-age=${maxAge}` } }))
    await verify(KID)
    // max-age 5 is raised to the 30 s cooldown.
    await clock.advance(29_000, settle)
    await verify(KID)
    expect(urls).toHaveLength(1)
    await clock.advance(1_000, settle)
    maxAge = '86400'
    await verify(KID)
    expect(urls).toHaveLength(2)
    // max-age one day is capped at the 600 s TTL.
    await clock.advance(599_000, settle)
    await verify(KID)
    expect(urls).toHaveLength(2)
    await clock.advance(1_000, settle)
    await verify(KID)
    expect(urls).toHaveLength(3)
  })

  it('serves a stale key while refetches fail, one attempt per cooldown, until the stale limit', async () => {
    let failing = false
    const { verify, urls, clock, events } = albVerifier((url) => (failing ? { status: 500, body: 'down' } : servePem(url)), { TRUSTED_PROXY_JWKS_MAX_STALE: '100' })
    await verify(KID)
    failing = true
    await clock.advance(600_000, settle)
    await expect(verify(KID)).resolves.toBeTruthy()
    expect(urls).toHaveLength(2)
    expect(events.some((event) => event.type === 'jwks_stale_served')).toBe(true)
    await clock.advance(29_000, settle)
    await expect(verify(KID)).resolves.toBeTruthy()
    expect(urls).toHaveLength(2)
    await clock.advance(1_000, settle)
    await expect(verify(KID)).resolves.toBeTruthy()
    expect(urls).toHaveLength(3)
    await clock.advance(71_000, settle)
    const error = await rejection(verify(KID))
    expect(error.code).toBe('jwks_unavailable')
    expect(error.retryAfter).toBeGreaterThanOrEqual(1)
  })

  it('answers a failed uncached kid with jwks_unavailable (Retry-After = cooldown) and does not fetch it again within the cooldown', async () => {
    let status = 503
    const { verify, urls, clock } = albVerifier((url) => (status === 200 ? servePem(url) : { status }))
    const first = await rejection(verify(KID))
    expect(first).toMatchObject({ code: 'jwks_unavailable', retryAfter: 30 })
    await clock.advance(10_000, settle)
    expect(await rejection(verify(KID))).toMatchObject({ code: 'jwks_unavailable', retryAfter: 20 })
    expect(urls).toHaveLength(1)
    status = 200
    await clock.advance(20_000, settle)
    await expect(verify(KID)).resolves.toBeTruthy()
    expect(urls).toHaveLength(2)
  })

  it('answers 404 and 403 with unknown_key, remembered for the cooldown', async () => {
    let status = 404
    const { verify, urls, clock } = albVerifier(() => ({ status }))
    expect((await rejection(verify(KID))).code).toBe('unknown_key')
    expect((await rejection(verify(KID))).code).toBe('unknown_key')
    expect(urls).toHaveLength(1)
    status = 403
    await clock.advance(30_000, settle)
    expect((await rejection(verify(KID))).code).toBe('unknown_key')
    expect(urls).toHaveLength(2)
  })

  it('drops a cached key the host withdraws (404) instead of serving it stale', async () => {
    let withdrawn = false
    const { verify, clock } = albVerifier((url) => (withdrawn ? { status: 404 } : servePem(url)))
    await verify(KID)
    withdrawn = true
    await clock.advance(600_000, settle)
    expect((await rejection(verify(KID))).code).toBe('unknown_key')
  })

  it('fetches at most two uncached kids per cooldown, while cached kids keep working', async () => {
    const { verify, urls, clock, events } = albVerifier(servePem)
    const kids = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333']
    await verify(kids[0]!)
    await verify(kids[1]!)
    expect((await rejection(verify(kids[2]!))).code).toBe('unknown_key')
    expect(urls).toHaveLength(2)
    expect(events).toContainEqual({ type: 'unknown_kid', kid: kids[2], refetched: false })
    await verify(kids[0]!)
    await clock.advance(30_000, settle)
    await expect(verify(kids[2]!)).resolves.toBeTruthy()
    expect(urls).toHaveLength(3)
  })

  it('keeps at most 64 kids, evicting the least recently used', async () => {
    const { verify, urls, verifier } = albVerifier(servePem, { TRUSTED_PROXY_JWKS_COOLDOWN: '0' })
    const kidOf = (index: number): string => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`
    for (let index = 1; index <= 64; index++) await verify(kidOf(index))
    await verify(kidOf(1))
    expect(urls).toHaveLength(64)
    await verify(kidOf(65))
    expect(verifier.status().keyCount).toBe(64)
    await verify(kidOf(1))
    expect(urls).toHaveLength(65)
    await verify(kidOf(2))
    expect(urls).toHaveLength(66)
  })

  it('gives up after TRUSTED_PROXY_JWKS_TIMEOUT', async () => {
    const { verify } = albVerifier(() => 'hang', { TRUSTED_PROXY_JWKS_TIMEOUT: '0.1' })
    expect((await rejection(verify(KID))).code).toBe('jwks_unavailable')
  })

  it('never follows a redirect', async () => {
    const { verify, urls } = albVerifier((url) => (url.includes('elsewhere') ? { status: 200, body: pem } : { status: 302, headers: { location: `${KEY_HOST}/elsewhere` } }))
    expect((await rejection(verify(KID))).code).toBe('jwks_unavailable')
    expect(urls).toEqual([`${KEY_HOST}/${KID}`])
  })
})

describe('OpenID discovery (preset oauth2-proxy)', () => {
  it('finds the key set over loopback HTTP; both requests count as fetches', async () => {
    const issuer = await startTestIssuer({ algorithms: ['RS256'], audience: 'oauth2-proxy' })
    try {
      const verifier = track(createVerifier(loadConfig({ TRUSTED_PROXY_PRESET: 'oauth2-proxy', TRUSTED_PROXY_ISSUER: issuer.url, TRUSTED_PROXY_AUDIENCE: 'oauth2-proxy' })))
      const token = await issuer.sign({ email: 'alice@example.com' })
      await expect(verifier.verifyRequest({ headers: { authorization: `Bearer ${token}` } })).resolves.toMatchObject({ issuer: issuer.url, email: 'alice@example.com' })
      expect(issuer.requests.discoveryCount).toBe(1)
      expect(issuer.requests.count).toBe(1)
      expect(verifier.status()).toMatchObject({ state: 'ready', fetchCount: 2 })
    } finally {
      await issuer.close()
    }
  })

  const ISSUER = 'https://idp.test/realms/corp'
  const DISCOVERY = `${ISSUER}/.well-known/openid-configuration`
  const JWKS = 'https://idp.test/realms/corp/certs'
  let signer: TestIssuer
  let jwk: JWK
  beforeAll(async () => {
    signer = await createTestIssuer({ algorithms: ['RS256'], issuer: ISSUER, audience: 'oauth2-proxy' })
    jwk = signer.jwks().keys[0]!
  })

  function discoveringVerifier(document: () => Answer) {
    const clock = new ManualClock()
    const host = stubFetch((url) => (url === DISCOVERY ? document() : url === JWKS ? { status: 200, body: JSON.stringify({ keys: [jwk] }) } : { status: 404 }))
    const events: TrustedProxyAuthEvent[] = []
    const config = loadConfig({ TRUSTED_PROXY_PRESET: 'oauth2-proxy', TRUSTED_PROXY_ISSUER: ISSUER, TRUSTED_PROXY_AUDIENCE: 'oauth2-proxy', TRUSTED_PROXY_JWKS_CACHE_TTL: '600' })
    const verifier = track(createVerifier(config, { fetch: host.fetch, clock: clock.now, scheduler: clock, random: () => 0.5, onEvent: (event) => events.push(event) }))
    return { verifier, urls: host.urls, clock, events }
  }
  const goodDocument = (): Answer => ({ status: 200, body: JSON.stringify({ issuer: ISSUER, jwks_uri: JWKS }) })

  it('refetches the discovery document only when the last good one is older than the cache TTL', async () => {
    const { verifier, urls, clock } = discoveringVerifier(goodDocument)
    await verifier.ready()
    await settle()
    expect(urls).toEqual([DISCOVERY, JWKS])
    // The background refresh at about 85 % of the TTL reuses the document ...
    await clock.advance(540_000, settle)
    expect(urls).toEqual([DISCOVERY, JWKS, JWKS])
    // ... the next one, when it is older than the TTL, fetches it again.
    await clock.advance(540_000, settle)
    expect(urls).toEqual([DISCOVERY, JWKS, JWKS, DISCOVERY, JWKS])
    await expect(verifier.verifyAssertion(await signer.sign({}, { now: NOW }), { now: NOW })).resolves.toBeTruthy()
  })

  it.each([
    ['names another issuer', { status: 200, body: JSON.stringify({ issuer: 'https://idp.test/realms/other', jwks_uri: JWKS }) }],
    ['names the issuer with a trailing slash', { status: 200, body: JSON.stringify({ issuer: `${ISSUER}/`, jwks_uri: JWKS }) }],
    ['has an http jwks_uri on a remote host', { status: 200, body: JSON.stringify({ issuer: ISSUER, jwks_uri: 'http://idp.test/certs' }) }],
    ['has no jwks_uri', { status: 200, body: JSON.stringify({ issuer: ISSUER }) }],
    ['is not a JSON object', { status: 200, body: JSON.stringify([ISSUER, JWKS]) }],
    ['is not JSON', { status: 200, body: '<html>' }],
    ['is a redirect', { status: 302, headers: { location: JWKS } }],
    ['is larger than 1 MiB', { status: 200, body: JSON.stringify({ issuer: ISSUER, jwks_uri: JWKS, padding: 'x'.repeat(1024 * 1024) }) }],
  ] as const)('fails the key load when the document %s', async (_case, answer) => {
    const { verifier, urls, events } = discoveringVerifier(() => answer)
    const error = await rejection(verifier.verifyAssertion(await signer.sign({}, { now: NOW }), { now: NOW }))
    expect(error.code).toBe('jwks_unavailable')
    expect(urls).toEqual([DISCOVERY])
    expect(events).toContainEqual(expect.objectContaining({ type: 'jwks_fetch_failed', url: DISCOVERY }))
    expect(verifier.status()).toMatchObject({ state: 'unavailable', fetchCount: 1 })
  })
})

describe('kidOptionalTryAll (preset teleport)', () => {
  let teleport: TestIssuer
  let rotatedKid: string
  let attacker: TestIssuer

  beforeAll(async () => {
    teleport = await createTestIssuer({ algorithms: ['RS256'], issuer: 'teleport.example.com', audience: ['http://localhost:8080'] })
    rotatedKid = await teleport.rotate()
    attacker = await createTestIssuer({ algorithms: ['RS256'], issuer: 'teleport.example.com', audience: ['http://localhost:8080'] })
  })

  /** Teleport publishes its keys without kid. */
  const kidless = (kid: string): JWK => {
    const { kid: _kid, ...member } = teleport.keys.find((key) => key.kid === kid)!.publicJwk
    return member
  }
  const kidlessToken = (issuer: TestIssuer, kid: string): Promise<string> => issuer.sign({}, { now: NOW, kid, header: { kid: undefined } })

  function teleportVerifier(preset: boolean) {
    const clock = new ManualClock()
    let keys = [kidless(teleport.keys[0]!.kid)]
    const host = stubFetch(() => ({ status: 200, body: JSON.stringify({ keys }) }))
    const events: TrustedProxyAuthEvent[] = []
    const settings = preset
      ? { TRUSTED_PROXY_PRESET: 'teleport' }
      : { TRUSTED_PROXY_ASSERTION_HEADER: 'Teleport-Jwt-Assertion', TRUSTED_PROXY_ALGORITHMS: 'RS256,ES256' }
    const config = loadConfig({ ...settings, TRUSTED_PROXY_JWKS_URL: 'https://teleport.example.com/.well-known/jwks.json', TRUSTED_PROXY_ISSUER: 'teleport.example.com', TRUSTED_PROXY_AUDIENCE: 'http://localhost:8080' })
    const verifier = track(createVerifier(config, { fetch: host.fetch, clock: clock.now, scheduler: clock, random: () => 0.5, onEvent: (event) => events.push(event) }))
    return { verifier, urls: host.urls, events, clock, publish: (next: JWK[]) => (keys = next) }
  }

  it('refetches once when no kid-less candidate verifies, so a rotated key works at once', async () => {
    const { verifier, urls, events, publish } = teleportVerifier(true)
    await verifier.ready()
    publish([kidless(teleport.keys[0]!.kid), kidless(rotatedKid)])
    await expect(verifier.verifyAssertion(await kidlessToken(teleport, rotatedKid), { now: NOW })).resolves.toMatchObject({ issuer: 'teleport.example.com' })
    expect(urls).toHaveLength(2)
    expect(events).toContainEqual({ type: 'unknown_kid', kid: null, refetched: true })
  })

  it('refetches at most once per cooldown for kid-less forgeries', async () => {
    const { verifier, urls, events, clock } = teleportVerifier(true)
    await verifier.ready()
    expect((await rejection(verifier.verifyAssertion(await kidlessToken(attacker, attacker.currentKid), { now: NOW }))).code).toBe('invalid_signature')
    expect((await rejection(verifier.verifyAssertion(await kidlessToken(attacker, attacker.currentKid), { now: NOW }))).code).toBe('invalid_signature')
    expect(urls).toHaveLength(2)
    expect(events).toContainEqual({ type: 'unknown_kid', kid: null, refetched: false })
    await clock.advance(30_000, settle)
    await rejection(verifier.verifyAssertion(await kidlessToken(attacker, attacker.currentKid), { now: NOW }))
    expect(urls).toHaveLength(3)
  })

  it('answers unknown_key when even the refetched set has no key of the type', async () => {
    const { verifier, urls, publish } = teleportVerifier(true)
    await verifier.ready()
    publish([])
    const ecToken = await (await createTestIssuer({ algorithms: ['ES256'], issuer: 'teleport.example.com', audience: ['http://localhost:8080'] })).sign({}, { now: NOW, header: { kid: undefined } })
    expect((await rejection(verifier.verifyAssertion(ecToken, { now: NOW }))).code).toBe('unknown_key')
    expect(urls).toHaveLength(2)
  })

  it('without the quirk a kid-less assertion never causes a refetch', async () => {
    const { verifier, urls, publish } = teleportVerifier(false)
    await verifier.ready()
    publish([kidless(teleport.keys[0]!.kid), kidless(rotatedKid)])
    expect((await rejection(verifier.verifyAssertion(await kidlessToken(teleport, rotatedKid), { now: NOW }))).code).toBe('invalid_signature')
    expect(urls).toHaveLength(1)
  })
})
