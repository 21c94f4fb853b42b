import { describe, expect, it } from 'vitest'
import { coreError } from '../error-contract.js'
import { expectProblem } from '../problem-assertions.js'
import type { ConformanceIdentity } from '../types.js'
import { ASSERTION_HEADER, type SuiteContext } from '../suite-context.js'
import { ALICE, parseWhoAmI } from './claims.js'

export function modeAndHookScenarios(context: SuiteContext): void {
  describe('mode optional', () => {
    it('lets a request without the header through with no user and no identity', async () => {
      const app = await context.start({ mode: 'optional' })
      const response = await app.get('/whoami')
      expect(response.status).toBe(200)
      expect(parseWhoAmI(response.body)).toEqual({ user: null, identity: null })
    })

    it('treats an empty header like an absent one', async () => {
      const app = await context.start({ mode: 'optional' })
      const response = await app.get('/whoami', { [ASSERTION_HEADER]: '' })
      expect(response.status).toBe(200)
      expect(parseWhoAmI(response.body).identity).toBeNull()
    })

    it('still authenticates a valid assertion', async () => {
      const app = await context.start({ mode: 'optional' })
      const response = await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })
      expect(parseWhoAmI(response.body).identity?.['subject']).toBe('alice-123')
    })

    it('still refuses a present but invalid assertion', async () => {
      const app = await context.start({ mode: 'optional' })
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE, { now: Math.floor(Date.now() / 1000) - 3600 }) }), 'expired')
    })
  })

  describe('resolveUser', () => {
    it('its result becomes the user while the verified identity stays visible', async () => {
      const seen: Array<{ subject: string; hasRequest: boolean }> = []
      const app = await context.start({
        resolveUser: async (identity: ConformanceIdentity, request: unknown) => {
          seen.push({ subject: identity.subject, hasRequest: typeof request === 'object' && request !== null })
          await new Promise((resolve) => setTimeout(resolve, 5))
          return { id: 42, login: identity.email, source: 'app-database' }
        },
      })
      const response = await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })
      expect(response.status).toBe(200)
      const { user, identity } = parseWhoAmI(response.body)
      expect(user).toEqual({ id: 42, login: 'alice@example.com', source: 'app-database' })
      expect(identity?.['subject']).toBe('alice-123')
      expect(seen).toEqual([{ subject: 'alice-123', hasRequest: true }])
    })

    it('is not called for a rejected request', async () => {
      let calls = 0
      const app = await context.start({ resolveUser: (identity: ConformanceIdentity) => (calls++, identity) })
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: 'garbage' }), 'malformed_assertion')
      expect(calls).toBe(0)
    })

    it('is not called in mode optional without an assertion', async () => {
      let calls = 0
      const app = await context.start({ mode: 'optional', resolveUser: (identity: ConformanceIdentity) => (calls++, identity) })
      expect((await app.get('/whoami')).status).toBe(200)
      expect(calls).toBe(0)
    })

    it('a resolveUser returning null denies with 403 forbidden_user', async () => {
      const app = await context.start({ resolveUser: () => null })
      const response = await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })
      expectProblem(response, 'forbidden_user')
      expect(response.body).not.toContain('alice-123')
    })

    it('a resolveUser resolving to undefined denies with 403 forbidden_user', async () => {
      const app = await context.start({ resolveUser: async () => undefined })
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) }), 'forbidden_user')
    })

    it('a TrustedProxyAuthError thrown by resolveUser is answered as its problem, not as an error page', async () => {
      const app = await context.start({
        resolveUser: async () => {
          throw coreError('jwks_unavailable', { retryAfter: 7 })
        },
      })
      const response = await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })
      expectProblem(response, 'jwks_unavailable')
      expect(response.header('retry-after')).toBe('7')
    })

    it('a failing resolveUser never lets the request reach the handler', async () => {
      const app = await context.start({
        resolveUser: () => {
          throw new Error('user store down')
        },
      })
      const response = await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })
      expect(response.status).toBeGreaterThanOrEqual(500)
      expect(response.body).not.toContain('alice-123')
    })
  })

  describe('routes that opt out', () => {
    it('answer without an assertion, while protected routes of the same app do not', async () => {
      const app = await context.start()
      const health = await app.get('/health')
      expect(health.status).toBe(200)
      expect(JSON.parse(health.body)).toEqual({ ok: true })
      expectProblem(await app.get('/whoami'), 'missing_assertion')
    })

    it('do not even look at a garbage assertion', async () => {
      const app = await context.start()
      const failuresBefore = context.events.filter((event) => event.type === 'verify_failed').length
      expect((await app.get('/health', { [ASSERTION_HEADER]: 'garbage' })).status).toBe(200)
      expect(context.events.filter((event) => event.type === 'verify_failed').length).toBe(failuresBefore)
    })
  })
}
