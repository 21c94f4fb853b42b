import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { parseBatchLine } from '../src/cli/batch-cases.js'
import { liveFindings } from '../src/doctor/live-checks.js'
import { decodeAssertion } from '../src/enrollment/decoded-assertion.js'
import { probeKeySet } from '../src/enrollment/key-set-probe.js'
import { createVerifier, loadConfig, type TrustedProxyAuthConfig } from '../src/index.js'
import { FetchFailure } from '../src/key-fetch.js'
import { unusableReason } from '../src/key-set.js'
import { parseKeySetDocument } from '../src/key-set-document.js'
import { jwksUriFromDiscovery } from '../src/key-sources/openid-discovery.js'
import { checkClientAudience } from '../src/quirks/alb-client-header.js'
import { checkSigner } from '../src/quirks/alb-signer-header.js'

// Every read of a remote document or an assertion takes own members only: with Object.prototype given a member
// (prototype pollution elsewhere in the process), a document or header lacking that member must not gain it.
// Each test below fails with the plain read it replaced (checked by reverting each fix).
const NOW = 1_700_000_000
const ISSUER = 'https://proxy.example'
const prototype = Object.prototype as Record<string, unknown>
const given: string[] = []

function pollute(members: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(members)) {
    prototype[name] = value
    given.push(name)
  }
}

afterEach(() => {
  for (const name of given.splice(0)) delete prototype[name]
})

/** An ES256 key pair whose public JWK is published without `crv` (a malformed member). */
async function keyWithoutCurve(): Promise<{ privateKey: CryptoKey; published: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const { crv: _crv, ...published } = await exportJWK(publicKey)
  return { privateKey, published: { ...published, kid: 'no-crv', alg: 'ES256' } }
}

function fetchAnswering(documents: Record<string, unknown>): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const body = documents[url]
    if (body === undefined) return new Response('not found', { status: 404 })
    return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
  }) as typeof fetch
}

describe('key set documents', () => {
  it('an EC member without crv stays unusable when Object.prototype has a crv', async () => {
    const { published } = await keyWithoutCurve()
    pollute({ crv: 'P-256' })
    const [member] = parseKeySetDocument(JSON.stringify({ keys: [published] }))
    expect(unusableReason(member!)).toBe('unsupported curve')
    expect(Object.getPrototypeOf(member)).toBeNull()
    expect(Object.isFrozen(member)).toBe(true)
  })

  it('a document without keys of its own is no key set, whatever Object.prototype.keys holds', async () => {
    const { published } = await keyWithoutCurve()
    pollute({ keys: [published] })
    expect(() => parseKeySetDocument('{}')).toThrow(new FetchFailure('not a JSON Web Key Set'))
  })

  it('an inherited private member does not make a public set look leaked', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true })
    pollute({ d: 'inherited' })
    expect(parseKeySetDocument(JSON.stringify({ keys: [await exportJWK(publicKey)] }))).toHaveLength(1)
  })

  it('the verifier never verifies with a member that lacks crv (inline TRUSTED_PROXY_JWKS, end to end)', async () => {
    const { privateKey, published } = await keyWithoutCurve()
    const token = await new SignJWT({ sub: 'user-1' }).setProtectedHeader({ alg: 'ES256', kid: 'no-crv' }).setIssuer(ISSUER).setAudience('app').setIssuedAt(NOW).setExpirationTime(NOW + 300).sign(privateKey)
    pollute({ crv: 'P-256' })
    const verifier = createVerifier(loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_ISSUER: ISSUER, TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_ALGORITHMS: 'ES256', TRUSTED_PROXY_JWKS: JSON.stringify({ keys: [published] }), TRUSTED_PROXY_CACHE_SIZE: '0' }))
    try {
      await expect(verifier.verifyAssertion(token, { now: NOW })).rejects.toMatchObject({ code: 'unknown_key' })
    } finally {
      verifier.close()
    }
  })
})

describe('OpenID discovery documents', () => {
  it('takes neither the issuer nor jwks_uri from Object.prototype', () => {
    pollute({ jwks_uri: 'https://attacker.example/keys' })
    expect(() => jwksUriFromDiscovery(JSON.stringify({ issuer: ISSUER }), ISSUER)).toThrow('discovery document has no usable jwks_uri')
    delete prototype['jwks_uri']
    pollute({ issuer: ISSUER })
    expect(() => jwksUriFromDiscovery(JSON.stringify({ jwks_uri: `${ISSUER}/keys` }), ISSUER)).toThrow('discovery issuer differs')
  })
})

describe('operator checks (doctor, enrollment probe)', () => {
  const config = (): TrustedProxyAuthConfig => loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_ISSUER: ISSUER, TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_ALGORITHMS: 'ES256', TRUSTED_PROXY_JWKS_URL: `${ISSUER}/keys` })

  it('doctor judges a member without crv unusable, and follows no jwks_uri Object.prototype holds', async () => {
    const { published } = await keyWithoutCurve()
    pollute({ crv: 'P-256' })
    const findings = await liveFindings(config(), fetchAnswering({ [`${ISSUER}/keys`]: { keys: [published] } }))
    expect(findings.map((item) => item.id)).toEqual(['key_unusable', 'no_usable_keys'])

  })

  it('doctor takes neither jwks_uri nor the issuer of a discovery document from Object.prototype', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true })
    const discoveryUrl = `${ISSUER}/.well-known/openid-configuration`
    const discovery = { ...config(), keySource: { kind: 'discovery', issuer: ISSUER, discoveryUrl } } as TrustedProxyAuthConfig
    // The key URL serves a good key set: only an inherited jwks_uri (or issuer) would lead there.
    const keys = { [`${ISSUER}/keys`]: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] } }
    pollute({ jwks_uri: `${ISSUER}/keys` })
    const withoutUri = await liveFindings(discovery, fetchAnswering({ ...keys, [discoveryUrl]: { issuer: ISSUER } }))
    expect(withoutUri.map((item) => item.id)).toEqual(['keys_unreachable'])
    delete prototype['jwks_uri']
    pollute({ issuer: ISSUER })
    const withoutIssuer = await liveFindings(discovery, fetchAnswering({ ...keys, [discoveryUrl]: { jwks_uri: `${ISSUER}/keys` } }))
    expect(withoutIssuer.map((item) => item.id)).toEqual(['discovery_issuer_mismatch'])
  })

  it('the enrollment probe judges a member without crv unusable', async () => {
    const { published } = await keyWithoutCurve()
    pollute({ crv: 'P-256' })
    const probe = await probeKeySet(config(), fetchAnswering({ [`${ISSUER}/keys`]: { keys: [published] } }))
    expect(probe).toMatchObject({ reachable: true, keys: [] })
    expect((probe as { unusable: string | null }).unusable).not.toBeNull()
  })

  it('a decoded assertion shows no claim or header member Object.prototype holds', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const token = await new SignJWT({ sub: 'user-1' }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey)
    pollute({ iss: ISSUER, kid: 'inherited' })
    const read = decodeAssertion(token)
    expect('decoded' in read && read.decoded.claims['iss']).toBeUndefined()
    expect('decoded' in read && read.decoded.header['kid']).toBeUndefined()
  })
})

describe('assertion headers', () => {
  it('an inherited crit or b64 does not make every assertion malformed', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
    const token = await new SignJWT({ sub: 'user-1' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setIssuer(ISSUER).setAudience('app').setIssuedAt(NOW).setExpirationTime(NOW + 300).sign(privateKey)
    const verifier = createVerifier(loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_ISSUER: ISSUER, TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_ALGORITHMS: 'ES256', TRUSTED_PROXY_JWKS: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] }), TRUSTED_PROXY_CACHE_SIZE: '0' }))
    pollute({ crit: ['exp'], b64: false })
    try {
      await expect(verifier.verifyAssertion(token, { now: NOW })).resolves.toMatchObject({ subject: 'user-1' })
    } finally {
      verifier.close()
    }
  })

  it('ALB quirks read signer and client as the header holds them', () => {
    pollute({ signer: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/mine/1', client: 'app' })
    expect(() => checkSigner({}, 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/mine/1')).toThrow(expect.objectContaining({ code: 'issuer_mismatch' }))
    const albConfig = { audience: ['app'] } as unknown as TrustedProxyAuthConfig
    expect(() => checkClientAudience({}, albConfig)).toThrow(expect.objectContaining({ code: 'audience_mismatch' }))
  })
})

describe('verify --batch lines', () => {
  it('a line takes no token, now or env from Object.prototype (an inherited now would verify at a chosen time)', () => {
    pollute({ token: 'inherited', now: NOW, env: { TRUSTED_PROXY_ISSUER: ISSUER }, headers: [['x-a', 'b']], remoteAddress: '10.0.0.1' })
    expect(parseBatchLine('{}', 1)).toEqual({})
    expect(parseBatchLine('{"token":"own"}', 2)).toEqual({ token: 'own' })
  })
})
