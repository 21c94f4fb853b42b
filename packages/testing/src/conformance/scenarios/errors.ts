import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createTestIssuer } from '../../test-issuer.js'
import { expectProblem } from '../problem-assertions.js'
import { ASSERTION_HEADER, type SuiteContext } from '../suite-context.js'
import { ALICE } from './claims.js'

/** A loopback port nothing listens on, so the key endpoint refuses connections. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

export function errorScenarios(context: SuiteContext): void {
  const now = (): number => Math.floor(Date.now() / 1000)

  describe('each error code is answered with its contract status and problem body', () => {
    it('missing_assertion (401) without the header', async () => {
      const app = await context.start()
      expectProblem(await app.get('/whoami'), 'missing_assertion')
    })

    it('missing_assertion (401) for an empty header and for a bare Bearer scheme', async () => {
      const app = await context.start()
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: '' }), 'missing_assertion')
      const bearerApp = await context.start({ assertionHeader: 'Authorization' })
      expectProblem(await bearerApp.get('/whoami', { authorization: 'Bearer' }), 'missing_assertion')
    })

    it('malformed_assertion (401) for text that is not a compact JWS', async () => {
      const app = await context.start()
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: 'not-a-token' }), 'malformed_assertion')
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: 'eyJhbGciOiJFUzI1NiJ9.e30' }), 'malformed_assertion')
    })

    it('assertion_too_large (401) above the configured size', async () => {
      const app = await context.start({ maxAssertionBytes: 256 })
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign({ ...ALICE, padding: 'x'.repeat(300) }) }), 'assertion_too_large')
    })

    it('unsupported_algorithm (401) for HS256 and none', async () => {
      const app = await context.start()
      const claims = context.issuer.claims(ALICE)
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.signRaw({ alg: 'HS256', typ: 'JWT' }, claims) }), 'unsupported_algorithm')
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.signRaw({ alg: 'none', typ: 'JWT' }, claims) }), 'unsupported_algorithm')
    })

    it('unknown_key (401) for a key the proxy never published', async () => {
      const stranger = await createTestIssuer({ issuer: context.issuer.issuer, kidPrefix: 'stranger-' })
      const app = await context.start()
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await stranger.sign(ALICE) }), 'unknown_key')
    })

    it('invalid_signature (401) for a payload swapped under a valid signature', async () => {
      const app = await context.start()
      const [header, , signature] = (await context.issuer.sign(ALICE)).split('.')
      const [, otherPayload] = (await context.issuer.sign({ ...ALICE, sub: 'mallory' })).split('.')
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: `${header}.${otherPayload}.${signature}` }), 'invalid_signature')
    })

    it('expired (401) past exp and the clock tolerance', async () => {
      const app = await context.start()
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE, { now: now() - 3600 }) }), 'expired')
    })

    it('not_yet_valid (401) before nbf', async () => {
      const app = await context.start()
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE, { notBefore: now() + 3600 }) }), 'not_yet_valid')
    })

    it('issuer_mismatch (401) and audience_mismatch (401)', async () => {
      const app = await context.start()
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign({ ...ALICE, iss: 'https://evil.test' }) }), 'issuer_mismatch')
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign({ ...ALICE, aud: 'https://other-app.test' }) }), 'audience_mismatch')
    })

    it('missing_claim (401) without a subject, claim_mismatch (401) for a required value', async () => {
      const app = await context.start({ requiredClaims: ['tenant=acme'] })
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign({ ...ALICE, sub: undefined }) }), 'missing_claim')
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign({ ...ALICE, tenant: 'umbrella' }) }), 'claim_mismatch')
      expect((await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })).status).toBe(200)
    })

    it('missing_required_header (401) when a header the proxy always adds is absent or different', async () => {
      const app = await context.start({ requiredHeaders: ['X-Forwarded-Proto=https'] })
      const token = await context.issuer.sign(ALICE)
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: token }), 'missing_required_header')
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: token, 'x-forwarded-proto': 'http' }), 'missing_required_header')
      expect((await app.get('/whoami', { [ASSERTION_HEADER]: token, 'x-forwarded-proto': 'https' })).status).toBe(200)
    })

    it('forbidden_user (403) outside the allowed users and groups; a member of an allowed group passes', async () => {
      const denied = await context.start({ allowedUsers: ['bob@example.com'], allowedGroups: ['finance'] })
      const token = await context.issuer.sign(ALICE)
      const response = await denied.get('/whoami', { [ASSERTION_HEADER]: token })
      expectProblem(response, 'forbidden_user')
      expect(response.header('www-authenticate')).toBeNull()
      const allowed = await context.start({ allowedGroups: ['admins'] })
      expect((await allowed.get('/whoami', { [ASSERTION_HEADER]: token })).status).toBe(200)
    })

    it('jwks_unavailable (503 with Retry-After) while the key endpoint cannot be reached', async () => {
      const app = await context.start({ jwksUrl: `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json` })
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) }), 'jwks_unavailable')
    })

    it('invalid_config is raised when the middleware is created, listing every problem', async () => {
      const attempt = context.adapter.createApp({ auth: { env: {}, assertionHeader: 'X Bad Header', algorithms: ['HS256'] }, host: '127.0.0.1', guards: {} })
      const error: unknown = await attempt.then(
        async (app) => {
          await app.close()
          return new Error('the app was created despite an invalid configuration')
        },
        (rejection: unknown) => rejection,
      )
      expect(error).toMatchObject({ name: 'TrustedProxyAuthError', code: 'invalid_config', status: 500 })
      const variables = ((error as { problems?: ReadonlyArray<{ variable: string }> }).problems ?? []).map((problem) => problem.variable)
      expect(variables).toEqual(expect.arrayContaining(['TRUSTED_PROXY_JWKS_URL', 'TRUSTED_PROXY_ISSUER', 'TRUSTED_PROXY_AUDIENCE', 'TRUSTED_PROXY_ALGORITHMS', 'TRUSTED_PROXY_ASSERTION_HEADER']))
    })
  })
}
