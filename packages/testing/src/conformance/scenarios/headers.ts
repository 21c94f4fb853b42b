import { describe, it } from 'vitest'
import { expectProblem } from '../problem-assertions.js'
import { ASSERTION_HEADER, type SuiteContext } from '../suite-context.js'
import { ALICE } from './claims.js'

export function headerScenarios(context: SuiteContext): void {
  // Repeated header lines can only be sent over a socket; in-process requests carry fetch Headers,
  // which join repeats with ", " (covered by the comma-joined scenarios below).
  const overSocket = it.skipIf(!context.overSocket)

  describe('a header sent more than once or comma-joined is refused, never one copy picked', () => {
    overSocket('two assertion header lines (both valid) are malformed_assertion', async () => {
      const app = await context.start()
      const token = await context.issuer.sign(ALICE)
      expectProblem(await app.getRaw('/whoami', { [ASSERTION_HEADER]: [token, token] }), 'malformed_assertion')
    })

    overSocket('an attacker copy after the proxy one is malformed_assertion, whichever comes first', async () => {
      const app = await context.start()
      const proxy = await context.issuer.sign(ALICE)
      const forged = await context.issuer.sign({ ...ALICE, sub: 'mallory' })
      expectProblem(await app.getRaw('/whoami', { [ASSERTION_HEADER]: [proxy, forged] }), 'malformed_assertion')
      expectProblem(await app.getRaw('/whoami', { [ASSERTION_HEADER]: [forged, proxy] }), 'malformed_assertion')
    })

    overSocket('two Authorization lines are malformed_assertion (Node keeps only the first in req.headers)', async () => {
      const app = await context.start({ assertionHeader: 'Authorization' })
      const token = await context.issuer.sign(ALICE)
      expectProblem(await app.getRaw('/whoami', { Authorization: [`Bearer ${token}`, `Bearer ${token}`] }), 'malformed_assertion')
    })

    overSocket('an empty assertion line next to a real one is still a repeat', async () => {
      const app = await context.start()
      expectProblem(await app.getRaw('/whoami', { [ASSERTION_HEADER]: ['', await context.issuer.sign(ALICE)] }), 'malformed_assertion')
    })

    it('a comma-joined value is malformed_assertion', async () => {
      const app = await context.start()
      const token = await context.issuer.sign(ALICE)
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: `${token}, ${token}` }), 'malformed_assertion')
    })

    it('headers appended twice through fetch (joined on the way) are malformed_assertion', async () => {
      const app = await context.start()
      const headers = new Headers()
      headers.append(ASSERTION_HEADER, await context.issuer.sign(ALICE))
      headers.append(ASSERTION_HEADER.toLowerCase(), await context.issuer.sign(ALICE))
      expectProblem(await app.get('/whoami', headers), 'malformed_assertion')
    })

    overSocket('a required header sent twice counts as missing_required_header', async () => {
      const app = await context.start({ requiredHeaders: ['X-Forwarded-Proto=https'] })
      const token = await context.issuer.sign(ALICE)
      expectProblem(await app.getRaw('/whoami', { [ASSERTION_HEADER]: token, 'X-Forwarded-Proto': ['https', 'https'] }), 'missing_required_header')
    })
  })
}
