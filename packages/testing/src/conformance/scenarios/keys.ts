import { describe, expect, it } from 'vitest'
import { ASSERTION_HEADER, type SuiteContext } from '../suite-context.js'
import { ALICE } from './claims.js'

const PARALLEL = 100

export function keyScenarios(context: SuiteContext): void {
  describe('the key set is fetched once for any number of concurrent requests', () => {
    it(`${PARALLEL} parallel requests on a cold start cause exactly one JWKS fetch`, async () => {
      const issuer = await context.startIssuer({ latencyMs: 50 })
      const app = await context.start({}, { issuer })
      const token = await issuer.sign(ALICE)
      const responses = await Promise.all(Array.from({ length: PARALLEL }, () => app.get('/whoami', { [ASSERTION_HEADER]: token })))
      expect(responses.map((response) => response.status)).toEqual(Array(PARALLEL).fill(200))
      expect(issuer.requests.count).toBe(1)
    })

    it(`${PARALLEL} parallel requests with a freshly rotated key cause exactly one more JWKS fetch`, async () => {
      const issuer = await context.startIssuer({ latencyMs: 50 })
      const app = await context.start({}, { issuer })
      expect((await app.get('/whoami', { [ASSERTION_HEADER]: await issuer.sign(ALICE) })).status).toBe(200)
      const fetchesBefore = issuer.requests.count
      await issuer.rotate()
      const token = await issuer.sign(ALICE)
      const responses = await Promise.all(Array.from({ length: PARALLEL }, () => app.get('/whoami', { [ASSERTION_HEADER]: token })))
      expect(responses.map((response) => response.status)).toEqual(Array(PARALLEL).fill(200))
      expect(issuer.requests.count - fetchesBefore).toBe(1)
    })
  })
}
