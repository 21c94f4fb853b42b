import { describe, expect, it } from 'vitest'
import { envFor } from '../../request-helpers.js'
import { ASSERTION_HEADER, type SuiteContext } from '../suite-context.js'
import { ALICE, parseWhoAmI } from './claims.js'

export function identityScenarios(context: SuiteContext): void {
  describe('a valid assertion', () => {
    it('is answered 200 and the handler sees the identity as both the user and the identity', async () => {
      const app = await context.start()
      const response = await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })
      expect(response.status).toBe(200)
      const { user, identity } = parseWhoAmI(response.body)
      expect(identity).toMatchObject({ subject: 'alice-123', email: 'alice@example.com', name: 'Alice Example', groups: ['staff', 'admins'] })
      expect(user).toEqual(identity)
    })

    it('exposes the full identity of the contract (every member, mapped as signed)', async () => {
      const app = await context.start()
      const now = Math.floor(Date.now() / 1000)
      const response = await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE, { now }) })
      const { identity } = parseWhoAmI(response.body)
      expect(identity).toEqual({
        subject: 'alice-123',
        email: 'alice@example.com',
        emailVerified: true,
        name: 'Alice Example',
        groups: ['staff', 'admins'],
        issuer: context.issuer.issuer,
        audience: [context.issuer.audience],
        issuedAt: now,
        expiresAt: now + 300,
        claims: expect.objectContaining({ sub: 'alice-123', tenant: 'acme', iss: context.issuer.issuer }),
      })
    })

    it('is verified with the settings of the TRUSTED_PROXY_* environment alone', async () => {
      const app = await context.start({ env: envFor(context.issuer), onEvent: (event) => context.events.push(event) }, { replaceAuth: true })
      const response = await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })
      expect(response.status).toBe(200)
      expect(parseWhoAmI(response.body).identity?.['subject']).toBe('alice-123')
    })

    it('uses options given in code over the environment', async () => {
      const env = envFor(context.issuer, { TRUSTED_PROXY_AUDIENCE: 'https://someone-else.test' })
      const app = await context.start({ env, audience: context.issuer.audience as string }, { replaceAuth: true })
      expect((await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })).status).toBe(200)
    })

    it('in the Authorization header with a Bearer scheme of any case and spacing', async () => {
      const app = await context.start({ assertionHeader: 'Authorization' })
      const token = await context.issuer.sign(ALICE)
      expect((await app.get('/whoami', { authorization: `Bearer ${token}` })).status).toBe(200)
      expect((await app.get('/whoami', { authorization: `bearer   ${token}` })).status).toBe(200)
    })

    it('matches the configured header name case-insensitively', async () => {
      const app = await context.start({ assertionHeader: 'x-TEST-assertion' })
      const token = await context.issuer.sign(ALICE)
      if (context.overSocket) {
        for (const name of ['X-Test-Assertion', 'x-test-assertion', 'X-TEST-ASSERTION']) {
          expect((await app.getRaw('/whoami', { [name]: token })).status, name).toBe(200)
        }
      } else {
        expect((await app.get('/whoami', { 'X-TEST-ASSERTION': token })).status).toBe(200)
      }
    })

    it('still verifies with the old key after the proxy rotated to a new one', async () => {
      const issuer = await context.startIssuer()
      const app = await context.start({}, { issuer })
      const before = await issuer.sign(ALICE)
      expect((await app.get('/whoami', { [ASSERTION_HEADER]: before })).status).toBe(200)
      await issuer.rotate()
      expect((await app.get('/whoami', { [ASSERTION_HEADER]: await issuer.sign(ALICE) })).status).toBe(200)
      expect((await app.get('/whoami', { [ASSERTION_HEADER]: before })).status).toBe(200)
    })
  })
}
