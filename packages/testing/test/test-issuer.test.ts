import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { createTestIssuer, DEFAULT_TEST_AUDIENCE, DEFAULT_TEST_ISSUER, DEFAULT_TEST_SUBJECT, TEST_ALGORITHMS, type TestIssuer } from '../src/index.js'

const NOW = 1_700_000_000

const verifyAgainstJwks = (issuer: TestIssuer, token: string, now = NOW) =>
  jwtVerify(token, createLocalJWKSet(issuer.jwks()), { issuer: issuer.issuer, audience: issuer.audience as string | string[], currentDate: new Date(now * 1000) })

/** Checks the signature bytes directly, whatever the header claims. */
const signatureVerifies = (token: string, publicKey: CryptoKey, parameters: AlgorithmIdentifier | EcdsaParams = { name: 'RSASSA-PKCS1-v1_5' }): Promise<boolean> => {
  const [header, payload, signature] = token.split('.')
  return crypto.subtle.verify(parameters, publicKey, Buffer.from(signature ?? '', 'base64url'), Buffer.from(`${header}.${payload}`))
}

const decodeSegment = (token: string, index: number): string => Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')

describe('createTestIssuer', () => {
  it.each(TEST_ALGORITHMS)('signs %s tokens that jose verifies against the published key set', async (alg) => {
    const issuer = await createTestIssuer({ algorithms: [alg] })
    const token = await issuer.sign({ email: 'ada@example.com' }, { now: NOW })
    const { payload, protectedHeader } = await verifyAgainstJwks(issuer, token)
    expect(protectedHeader).toEqual({ alg, kid: issuer.currentKid, typ: 'JWT' })
    expect(payload).toEqual({ iss: DEFAULT_TEST_ISSUER, aud: DEFAULT_TEST_AUDIENCE, sub: DEFAULT_TEST_SUBJECT, iat: NOW, exp: NOW + 300, email: 'ada@example.com' })
    const [member] = issuer.jwks().keys
    expect(member).toMatchObject({ kid: issuer.currentKid, alg, use: 'sig' })
    expect(member).not.toHaveProperty('d')
  })

  it.each(TEST_ALGORITHMS)('signRaw makes a real %s signature over exactly the given header and payload', async (alg) => {
    const issuer = await createTestIssuer({ algorithms: [alg] })
    const header = { alg, kid: issuer.currentKid }
    const token = await issuer.signRaw(header, issuer.claims({}, { now: NOW }))
    await expect(verifyAgainstJwks(issuer, token)).resolves.toMatchObject({ protectedHeader: header })
  })

  it('uses the configured issuer, audience, subject and default claims, and lets per-token claims win', async () => {
    const issuer = await createTestIssuer({ issuer: 'https://proxy.example', audience: ['app-a', 'app-b'], subject: 'user-9', defaultClaims: { tenant: 'acme', email: 'x@example.com' } })
    const token = await issuer.sign({ email: 'y@example.com', sub: 'user-10' }, { now: NOW })
    const { payload } = await verifyAgainstJwks(issuer, token)
    expect(payload).toMatchObject({ iss: 'https://proxy.example', aud: ['app-a', 'app-b'], sub: 'user-10', tenant: 'acme', email: 'y@example.com' })
    expect(issuer.jwksUrl).toBe('https://proxy.example/.well-known/jwks.json')
    expect(issuer.discoveryUrl).toBe('https://proxy.example/.well-known/openid-configuration')
  })

  it('leaves out claims set to undefined and honours the time options', async () => {
    const issuer = await createTestIssuer()
    const token = await issuer.sign({ sub: undefined, exp: undefined, nonce: null }, { now: NOW, issuedAt: NOW - 50, notBefore: NOW - 10 })
    expect(JSON.parse(decodeSegment(token, 1))).toEqual({ iss: DEFAULT_TEST_ISSUER, aud: DEFAULT_TEST_AUDIENCE, iat: NOW - 50, nbf: NOW - 10, nonce: null })
    const expiring = await issuer.sign({}, { now: NOW, expiresIn: 5 })
    await expect(verifyAgainstJwks(issuer, expiring, NOW + 4)).resolves.toBeDefined()
    await expect(verifyAgainstJwks(issuer, expiring, NOW + 6)).rejects.toBeInstanceOf(errors.JWTExpired)
  })

  it('defaults to the current time so fake clocks apply', async () => {
    const issuer = await createTestIssuer()
    const before = Math.floor(Date.now() / 1000)
    const { payload } = await jwtVerify(await issuer.sign(), createLocalJWKSet(issuer.jwks()))
    expect(payload.iat).toBeGreaterThanOrEqual(before)
    expect(payload.exp).toBe((payload.iat ?? 0) + 300)
  })

  it('writes header overrides as given while keeping the real signature of the chosen key', async () => {
    const issuer = await createTestIssuer({ algorithms: ['RS256'] })
    const confused = await issuer.sign({}, { now: NOW, header: { alg: 'RS384', typ: undefined, crit: ['exp'] } })
    expect(decodeProtectedHeader(confused)).toEqual({ alg: 'RS384', kid: issuer.currentKid, crit: ['exp'] })
    await expect(verifyAgainstJwks(issuer, confused)).rejects.toThrow()
    const key = issuer.keys[0]
    if (!key) throw new Error('issuer has no key')
    // The bytes were signed with RS256 whatever the header says.
    const relabelled = `${Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url')}.${confused.split('.').slice(1).join('.')}`
    await expect(compactVerify(relabelled, key.publicKey)).rejects.toThrow()
    await expect(signatureVerifies(confused, key.publicKey)).resolves.toBe(true)
  })

  it('signs with a chosen algorithm or kid', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256', 'EdDSA', 'PS384'] })
    expect(issuer.algorithms).toEqual(['ES256', 'EdDSA', 'PS384'])
    expect(issuer.currentKid).toBe('test-es256-1')
    expect(decodeProtectedHeader(await issuer.sign({}, { alg: 'PS384' }))).toMatchObject({ alg: 'PS384', kid: 'test-ps384-1' })
    expect(decodeProtectedHeader(await issuer.sign({}, { kid: 'test-eddsa-1' }))).toMatchObject({ alg: 'EdDSA', kid: 'test-eddsa-1' })
    await expect(issuer.sign({}, { kid: 'nope' })).rejects.toThrow(/no key with kid "nope"/)
    await expect(issuer.sign({}, { alg: 'RS256' })).rejects.toThrow(/no unrevoked RS256 key/)
  })

  it('creates keyCount keys per algorithm, all published, the newest of the first algorithm current', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES384', 'ES256'], keyCount: 2, kidPrefix: 'idp-' })
    expect(issuer.jwks().keys.map((key) => key.kid)).toEqual(['idp-es384-1', 'idp-es384-2', 'idp-es256-1', 'idp-es256-2'])
    expect(issuer.currentKid).toBe('idp-es384-2')
    expect(issuer.keys.filter((key) => key.current).map((key) => key.kid)).toEqual(['idp-es384-2'])
  })

  it('rotate publishes a new current key next to the old one; revoke withdraws a key', async () => {
    const issuer = await createTestIssuer()
    const oldKid = issuer.currentKid
    const oldToken = await issuer.sign({}, { now: NOW })
    const newKid = await issuer.rotate()
    expect(newKid).toBe('test-es256-2')
    expect(issuer.currentKid).toBe(newKid)
    expect(issuer.jwks().keys.map((key) => key.kid)).toEqual([oldKid, newKid])
    const newToken = await issuer.sign({}, { now: NOW })
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid)
    await expect(verifyAgainstJwks(issuer, oldToken)).resolves.toBeDefined()

    issuer.revoke(oldKid)
    expect(issuer.jwks().keys.map((key) => key.kid)).toEqual([newKid])
    await expect(verifyAgainstJwks(issuer, oldToken)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
    // A revoked key still signs on request, so tests can show the verifier refusing it.
    const fromRevoked = await issuer.sign({}, { kid: oldKid, now: NOW })
    await expect(verifyAgainstJwks(issuer, fromRevoked)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
    expect(issuer.keys.map(({ kid, current, revoked }) => ({ kid, current, revoked }))).toEqual([
      { kid: oldKid, current: false, revoked: true },
      { kid: newKid, current: true, revoked: false },
    ])
  })

  it('rotate can switch algorithm, and revoking the current key falls back to the newest remaining one', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256'] })
    const rsaKid = await issuer.rotate({ alg: 'RS256' })
    expect(issuer.currentKid).toBe(rsaKid)
    expect(issuer.algorithms).toEqual(['ES256', 'RS256'])
    issuer.revoke(rsaKid)
    expect(issuer.currentKid).toBe('test-es256-1')
    issuer.revoke('test-es256-1')
    expect(issuer.jwks().keys).toEqual([])
    // With nothing published the last current key keeps signing, so the verifier's refusal can be shown.
    expect(issuer.currentKid).toBe('test-es256-1')
    expect(() => issuer.revoke('unknown')).toThrow(/no key with kid/)
  })

  it('gives each concurrent rotation its own kid', async () => {
    const issuer = await createTestIssuer()
    const kids = await Promise.all([issuer.rotate(), issuer.rotate(), issuer.rotate()])
    expect(new Set(kids).size).toBe(3)
    expect(issuer.jwks().keys).toHaveLength(4)
  })

  it('signRaw keeps malformed headers and payloads byte for byte', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256', 'RS256'] })
    const duplicateMembers = '{"alg":"ES256","alg":"none"}'
    const token = await issuer.signRaw(duplicateMembers, 'not json at all')
    expect(decodeSegment(token, 0)).toBe(duplicateMembers)
    expect(decodeSegment(token, 1)).toBe('not json at all')
    const [, , signature] = token.split('.')
    expect(signature).toMatch(/^[A-Za-z0-9_-]+$/)
    // The header's alg picks the key when no kid names one.
    const rsaSigned = await issuer.signRaw({ alg: 'RS256', crit: ['b64'], b64: false }, { sub: 'x' })
    const rsaKey = issuer.keys.find((key) => key.alg === 'RS256')
    if (!rsaKey) throw new Error('no RS256 key')
    await expect(signatureVerifies(rsaSigned, rsaKey.publicKey)).resolves.toBe(true)
    await expect(signatureVerifies(await issuer.signRaw({ alg: 'RS256' }, { sub: 'x' }, { alg: 'ES256' }), rsaKey.publicKey)).resolves.toBe(false)
    // An explicit kid wins over the header.
    const forced = await issuer.signRaw({ alg: 'none' }, { sub: 'x' }, { kid: 'test-es256-1' })
    const ecKey = issuer.keys.find((key) => key.kid === 'test-es256-1')
    if (!ecKey) throw new Error('no ES256 key')
    await expect(signatureVerifies(forced, ecKey.publicKey, { name: 'ECDSA', hash: 'SHA-256' })).resolves.toBe(true)
    expect(decodeProtectedHeader(forced)).toEqual({ alg: 'none' })
  })

  it('exports the private JWK only on request and never publishes it', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256'] })
    const privateJwk: JWK = await issuer.privateJwk(issuer.currentKid)
    expect(privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: issuer.currentKid, alg: 'ES256' })
    expect(typeof privateJwk.d).toBe('string')
    expect(JSON.stringify(issuer.jwks())).not.toContain(privateJwk.d)
  })

  it('can make deliberately weak RSA keys', async () => {
    const issuer = await createTestIssuer({ algorithms: ['RS256'], rsaModulusLength: 1024 })
    const [member] = issuer.jwks().keys
    expect(Buffer.from(member?.n ?? '', 'base64url')).toHaveLength(128)
    const token = await issuer.sign({}, { now: NOW })
    // jose itself refuses keys under 2048 bits, which is what such a key is for.
    await expect(verifyAgainstJwks(issuer, token)).rejects.toThrow(/2048/)
  })

  it('describes itself in an OpenID configuration', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256', 'EdDSA'] })
    expect(issuer.openIdConfiguration()).toEqual({
      issuer: DEFAULT_TEST_ISSUER,
      jwks_uri: `${DEFAULT_TEST_ISSUER}/.well-known/jwks.json`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256', 'EdDSA'],
    })
  })

  it('hands out copies, so tests cannot corrupt the published set', async () => {
    const issuer = await createTestIssuer()
    const jwks = issuer.jwks()
    ;(jwks.keys[0] as JWK).kid = 'tampered'
    jwks.keys.push({ kty: 'oct' })
    expect(issuer.jwks().keys.map((key) => key.kid)).toEqual([issuer.currentKid])
  })

  it('rejects options it cannot honour', async () => {
    await expect(createTestIssuer({ algorithms: [] })).rejects.toThrow(/at least one algorithm/)
    await expect(createTestIssuer({ algorithms: ['HS256' as never] })).rejects.toThrow(/unsupported test algorithm "HS256"/)
    await expect(createTestIssuer({ keyCount: 0 })).rejects.toThrow(/keyCount/)
  })
})
