import { describe, expect, it } from 'vitest'
import { expectProblem } from '../problem-assertions.js'
import { ASSERTION_HEADER, type SuiteContext } from '../suite-context.js'
import { ALICE } from './claims.js'

export function addressScenarios(context: SuiteContext): void {
  // Peer addresses exist only on a socket; in-process requests have none.
  const overSocket = it.skipIf(!context.overSocket)

  describe('trusted proxy addresses are checked against the socket peer', () => {
    overSocket('a peer inside 127.0.0.1/32 is let through over IPv4', async () => {
      const app = await context.start({ trustedAddresses: ['127.0.0.1/32'] }, { host: '127.0.0.1' })
      expect((await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })).status).toBe(200)
    })

    overSocket('a peer at ::1 is let through over IPv6', async () => {
      const app = await context.start({ trustedAddresses: ['::1'] }, { host: '::1' })
      expect(app.url).toContain('[::1]')
      expect((await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) })).status).toBe(200)
    })

    overSocket('an IPv6 peer is untrusted_source when only 127.0.0.0/8 is trusted', async () => {
      const app = await context.start({ trustedAddresses: ['127.0.0.0/8'] }, { host: '::1' })
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) }), 'untrusted_source')
    })

    overSocket('an IPv4 peer is untrusted_source when only ::1 is trusted', async () => {
      const app = await context.start({ trustedAddresses: ['::1'] }, { host: '127.0.0.1' })
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) }), 'untrusted_source')
    })

    overSocket('X-Forwarded-For and X-Real-IP naming a trusted address do not make a peer trusted', async () => {
      const app = await context.start({ trustedAddresses: ['203.0.113.7'] })
      const response = await app.get('/whoami', {
        [ASSERTION_HEADER]: await context.issuer.sign(ALICE),
        'x-forwarded-for': '203.0.113.7',
        'x-real-ip': '203.0.113.7',
        forwarded: 'for=203.0.113.7',
      })
      expectProblem(response, 'untrusted_source')
    })

    it('an untrusted peer is refused before the assertion is read (even a valid one)', async () => {
      const app = await context.start({ trustedAddresses: ['10.0.0.0/8'] })
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: await context.issuer.sign(ALICE) }), 'untrusted_source')
      expectProblem(await app.get('/whoami', { [ASSERTION_HEADER]: 'garbage' }), 'untrusted_source')
    })
  })
}
