import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { coreError } from '../error-contract.js'
import { expectProblem } from '../problem-assertions.js'
import type { ConformanceIdentity } from '../types.js'
import { ASSERTION_HEADER, type SuiteContext } from '../suite-context.js'
import { ALICE, parseWhoAmI } from './claims.js'

// The core is this package's peer, built before any adapter's suite runs. It is named through a variable so that
// this package's own type check and build do not need it (the core's tests depend on this package).
const CORE_PACKAGE: string = '@mieweb/trusted-proxy-auth'
interface CoreVerifierFactory {
  createVerifierFromEnv(options: Record<string, unknown>, env: Record<string, string>): { verifyRequest(request: unknown, options?: unknown): Promise<unknown>; close(): void }
}

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

  describe('a verifier of its own (the verifier option)', () => {
    // An adapter tells a verdict to wait for from an identity by `instanceof Promise`: a promise of another realm
    // (a vm context, a second copy of a library) or another thenable would pass for the identity itself and let
    // every request through, unless the core's verifyRequestNow makes it a promise of this realm and refuses
    // verdicts that are neither an identity nor null.
    const otherRealm = runInNewContext('(answer) => new Promise((resolve, reject) => answer.then(resolve, reject))') as (answer: Promise<unknown>) => unknown
    const opened: Array<{ close(): void }> = []
    afterEach(() => {
      for (const verifier of opened.splice(0)) verifier.close()
    })
    async function ownVerifier(answer: (real: { verifyRequest(request: unknown, options?: unknown): Promise<unknown> }, request: unknown, options: unknown) => unknown) {
      const { createVerifierFromEnv } = (await import(CORE_PACKAGE)) as CoreVerifierFactory
      const { env: _env, onEvent: _onEvent, ...settings } = context.baseAuth()
      const real = createVerifierFromEnv(settings, {})
      opened.push(real)
      return Object.assign(Object.create(real) as object, { verifyRequestNow: (request: unknown, options: unknown) => answer(real, request, options) })
    }

    it('answering with promises of another realm: the same verdicts as the built-in verifier', async () => {
      const app = await context.start({ verifier: await ownVerifier((real, request, options) => otherRealm(real.verifyRequest(request, options))) }, { replaceAuth: true })
      const accepted = await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })
      expect(accepted.status).toBe(200)
      expect(parseWhoAmI(accepted.body).identity?.['subject']).toBe('alice-123')
      expectProblem(await app.get('/whoami'), 'missing_assertion')
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: 'garbage' }), 'malformed_assertion')
    })

    it.each([
      ['undefined at once', () => undefined],
      ['a promise of undefined', () => Promise.resolve(undefined)],
      ['a string at once', () => 'not-an-identity'],
      ['a promise of another realm resolving to undefined', () => otherRealm(Promise.resolve(undefined))],
    ])('answering %s: the request is refused as an error, never let through', async (_name, answer) => {
      const app = await context.start({ verifier: await ownVerifier(answer) }, { replaceAuth: true })
      const withAssertion: Record<string, string> = { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) }
      for (const headers of [{}, withAssertion]) {
        const response = await app.get('/whoami', headers)
        expect(response.status).toBeGreaterThanOrEqual(500)
        expect(response.body).not.toContain('alice')
      }
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
