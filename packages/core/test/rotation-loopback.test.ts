import { envFor, proxyHeaders, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, loadConfig, type Verifier } from '../src/index.js'

// The rotation scenario of test-vectors/lifecycle/rotation.json, over real loopback HTTP and real fetch.
let issuer: RunningTestIssuer
let verifier: Verifier

beforeAll(async () => {
  issuer = await startTestIssuer({ issuer: 'https://proxy.example', audience: 'app' })
  verifier = createVerifier(loadConfig(envFor(issuer, { TRUSTED_PROXY_JWKS_COOLDOWN: '0' })))
  await verifier.ready()
})
afterAll(async () => {
  verifier.close()
  await issuer.close()
})

describe('key rotation over loopback HTTP', () => {
  it('accepts a rotated key on its first request with one shared refetch, and drops revoked keys', async () => {
    const oldKid = issuer.currentKid
    expect(await verifier.verifyRequest({ headers: proxyHeaders(await issuer.sign()) })).toMatchObject({ subject: 'test-user' })
    expect(issuer.requests.count).toBe(1)

    await issuer.rotate()
    const rotated = await issuer.sign()
    const results = await Promise.all(Array.from({ length: 100 }, () => verifier.verifyRequest({ headers: proxyHeaders(rotated) })))
    expect(results.every((identity) => identity?.subject === 'test-user')).toBe(true)
    expect(issuer.requests.count).toBe(2)

    issuer.revoke(oldKid)
    const stillCached = await issuer.sign({}, { kid: oldKid })
    // The old key stays trusted until the key set is fetched again (here: it is still cached).
    await expect(verifier.verifyRequest({ headers: proxyHeaders(stillCached) })).resolves.toMatchObject({ subject: 'test-user' })
    expect(issuer.requests.count).toBe(2)

    // The next refetch (caused here by another rotation) drops it.
    await issuer.rotate()
    await expect(verifier.verifyRequest({ headers: proxyHeaders(await issuer.sign()) })).resolves.toMatchObject({ subject: 'test-user' })
    expect(issuer.requests.count).toBe(3)
    await expect(verifier.verifyRequest({ headers: proxyHeaders(stillCached) })).rejects.toMatchObject({ code: 'unknown_key' })
  })
})
