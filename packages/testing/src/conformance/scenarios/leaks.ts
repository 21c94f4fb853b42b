import { describe, expect, it } from 'vitest'
import { ASSERTION_HEADER, type SuiteContext } from '../suite-context.js'
import { ALICE } from './claims.js'

export function leakScenarios(context: SuiteContext): void {
  describe('the assertion is never echoed', () => {
    it('not in any response body or header, not in events, not on the console', async () => {
      const app = await context.start({ allowedUsers: ['bob@example.com'] })
      const now = Math.floor(Date.now() / 1000)
      const valid = await context.issuer.sign({ ...ALICE, email: 'leak-canary@example.com' })
      const [header, payload, signature] = valid.split('.') as [string, string, string]
      const tokens = [
        valid,
        await context.issuer.sign(ALICE, { now: now - 3600 }),
        `${header}.${payload}.${signature.slice(0, -4)}AAAA`,
        `${header}.${payload}`,
        `${valid}, ${valid}`,
      ]
      for (const token of tokens) {
        const response = await app.get('/whoami', { [ASSERTION_HEADER]: token })
        expect(response.status).toBeGreaterThanOrEqual(400)
      }
      const failing = await context.start({ resolveUser: () => Promise.reject(new Error('user store down')) })
      await failing.get('/whoami', { [ASSERTION_HEADER]: valid })

      // Everything the suite has seen so far, including the scenarios that ran before this one.
      const haystacks = [...context.responsesSeen, ...context.consoleOutput, JSON.stringify(context.events)]
      // Pieces, not whole tokens: a truncated echo is a leak too.
      for (const needle of [`${header}.`, payload.slice(0, 24), signature.slice(0, 24), 'leak-canary']) {
        expect(haystacks.filter((text) => text.includes(needle))).toEqual([])
      }
      for (const text of [...context.responsesSeen, ...context.consoleOutput]) {
        // No part of any scenario's assertion: an encoded JSON header followed by a segment separator.
        expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{16,}\./)
      }
    })
  })
}
