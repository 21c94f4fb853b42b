import { describe, expect, it } from 'vitest'
import { expectProblem } from '../problem-assertions.js'
import { ASSERTION_HEADER, type SuiteContext } from '../suite-context.js'
import type { AdapterConformanceOptions, ConformanceIdentity, ConformanceRequirements } from '../types.js'
import { ALICE, parseWhoAmI } from './claims.js'

/** What the custom checks of one adapter's suite saw: the subject and whether a request object came along. */
const checkCalls = new WeakMap<AdapterConformanceOptions, Array<{ subject: string; hasRequest: boolean }>>()

/** The route guards every conformance app serves (contract/requirements.json), by name. */
export function conformanceGuards(adapter: AdapterConformanceOptions): Record<string, ConformanceRequirements> {
  const calls: Array<{ subject: string; hasRequest: boolean }> = []
  checkCalls.set(adapter, calls)
  const record = (identity: ConformanceIdentity, request: unknown): void => {
    calls.push({ subject: identity.subject, hasRequest: typeof request === 'object' && request !== null })
  }
  return {
    'tenant-acme': { claims: ['tenant=acme'] },
    'role-editor': { claims: ['roles=editor'] },
    department: { claims: ['department'] },
    'any-ops-or-admins': { groups: { any: ['ops', 'admins'] } },
    'all-staff-and-ops': { groups: { all: ['staff', 'ops'] } },
    'reports-and-files': { scopes: ['reports:read', 'files:read'] },
    'check-sync': {
      check: (identity, request) => {
        record(identity, request)
        return identity.email === 'alice@example.com'
      },
    },
    'check-async': {
      claims: ['tenant'],
      check: async (identity, request) => {
        record(identity, request)
        await new Promise((resolve) => setTimeout(resolve, 1))
        return identity.subject !== 'bob-456'
      },
    },
    'check-401': {
      check: () => {
        throw adapter.createAuthError('missing_assertion')
      },
    },
  }
}

export function guardScenarios(context: SuiteContext): void {
  describe('route guards (requireIdentity)', () => {
    const as = async (claims: Record<string, unknown>): Promise<Record<string, string>> => ({ [ASSERTION_HEADER]: await context.issuer.sign(claims) })

    it('claims: name=value, array contains, presence; a denial is 403 forbidden_user without claim values', async () => {
      const app = await context.start()
      const alice = await as({ ...ALICE, roles: ['viewer', 'editor'] })
      const allowed = await app.get('/guarded/tenant-acme', alice)
      expect(allowed.status).toBe(200)
      expect(parseWhoAmI(allowed.body).identity?.['subject']).toBe('alice-123')
      expect((await app.get('/guarded/role-editor', alice)).status).toBe(200)
      const denied = await app.get('/guarded/department', alice)
      expectProblem(denied, 'forbidden_user')
      expect(denied.body).not.toContain('alice')
      expectProblem(await app.get('/guarded/tenant-acme', await as({ ...ALICE, tenant: 'ACME' })), 'forbidden_user')
      expectProblem(await app.get('/guarded/role-editor', await as({ ...ALICE, roles: 'editors' })), 'forbidden_user')
    })

    it('groups: any needs one, all needs every one', async () => {
      const app = await context.start()
      const alice = await as(ALICE)
      expect((await app.get('/guarded/any-ops-or-admins', alice)).status).toBe(200)
      expectProblem(await app.get('/guarded/all-staff-and-ops', alice), 'forbidden_user')
      expect((await app.get('/guarded/all-staff-and-ops', await as({ ...ALICE, groups: ['ops', 'staff'] }))).status).toBe(200)
      expectProblem(await app.get('/guarded/any-ops-or-admins', await as({ ...ALICE, groups: ['staff'] })), 'forbidden_user')
    })

    it('scopes: the space-separated scope claim together with the scp array', async () => {
      const app = await context.start()
      expect((await app.get('/guarded/reports-and-files', await as({ ...ALICE, scope: 'reports:read other', scp: ['files:read'] }))).status).toBe(200)
      expect((await app.get('/guarded/reports-and-files', await as({ ...ALICE, scope: 'files:read reports:read' }))).status).toBe(200)
      expectProblem(await app.get('/guarded/reports-and-files', await as({ ...ALICE, scope: 'reports:read' })), 'forbidden_user')
      expectProblem(await app.get('/guarded/reports-and-files', await as({ ...ALICE, scope: 'reports:readfiles:read' })), 'forbidden_user')
    })

    it('a custom check, sync or async, gets the identity and the request; false denies with 403, a thrown contract error keeps its 401', async () => {
      const app = await context.start()
      const calls = checkCalls.get(context.adapter) ?? []
      calls.length = 0
      expect((await app.get('/guarded/check-sync', await as(ALICE))).status).toBe(200)
      expect((await app.get('/guarded/check-async', await as(ALICE))).status).toBe(200)
      expectProblem(await app.get('/guarded/check-sync', await as({ ...ALICE, email: 'mallory@example.com' })), 'forbidden_user')
      expectProblem(await app.get('/guarded/check-async', await as({ ...ALICE, sub: 'bob-456' })), 'forbidden_user')
      expect(calls).toEqual([
        { subject: 'alice-123', hasRequest: true },
        { subject: 'alice-123', hasRequest: true },
        { subject: 'alice-123', hasRequest: true },
        { subject: 'bob-456', hasRequest: true },
      ])
      // The declarative requirements come first: no tenant claim, no call.
      const { tenant: _tenant, ...withoutTenant } = ALICE
      expectProblem(await app.get('/guarded/check-async', await as(withoutTenant)), 'forbidden_user')
      expect(calls).toHaveLength(4)
      expectProblem(await app.get('/guarded/check-401', await as(ALICE)), 'missing_assertion')
    })

    it('without an identity a guard answers 401 missing_assertion: no middleware in front, or mode optional and no assertion', async () => {
      const app = await context.start({ mode: 'optional' })
      expectProblem(await app.get('/guarded/tenant-acme'), 'missing_assertion')
      expectProblem(await app.get('/guarded/check-sync'), 'missing_assertion')
      expectProblem(await app.get('/bare/tenant-acme', await as(ALICE)), 'missing_assertion')
      expect((await app.get('/guarded/tenant-acme', await as(ALICE))).status).toBe(200)
    })

    it('a denial carries the middleware\'s problem-detail setting: diagnostic names the failed requirement, generic only the contract message', async () => {
      const alice = await as({ ...ALICE, scope: 'reports:read' })
      const generic = await context.start()
      const plain = await generic.get('/guarded/department', alice)
      expectProblem(plain, 'forbidden_user')
      expect(plain.body).not.toContain('route requires')
      const diagnostic = await context.start({ problemDetail: 'diagnostic' })
      expectProblem(await diagnostic.get('/guarded/department', alice), 'forbidden_user', 'route requires claim department')
      expectProblem(await diagnostic.get('/guarded/tenant-acme', await as({ ...ALICE, tenant: 'ACME' })), 'forbidden_user', 'route requires claim tenant=acme')
      expectProblem(await diagnostic.get('/guarded/all-staff-and-ops', alice), 'forbidden_user', 'route requires groups all of staff, ops')
      expectProblem(await diagnostic.get('/guarded/any-ops-or-admins', await as({ ...ALICE, groups: ['staff'] })), 'forbidden_user', 'route requires groups any of ops, admins')
      expectProblem(await diagnostic.get('/guarded/reports-and-files', alice), 'forbidden_user', 'route requires scope files:read')
      expectProblem(await diagnostic.get('/guarded/check-sync', await as({ ...ALICE, email: 'mallory@example.com' })), 'forbidden_user', 'route requires check')
      expectProblem(await diagnostic.get('/guarded/check-401', alice), 'missing_assertion')
      // The values compared are the application's; nothing from the assertion reaches the body.
      expect((await diagnostic.get('/guarded/tenant-acme', await as({ ...ALICE, tenant: 'globex-secret' }))).body).not.toContain('globex-secret')
      const optional = await context.start({ mode: 'optional', problemDetail: 'diagnostic' })
      expectProblem(await optional.get('/guarded/tenant-acme'), 'missing_assertion', 'the route requires an identity')
      // No middleware in front: no setting to follow, so the fixed message only.
      expectProblem(await diagnostic.get('/bare/tenant-acme', alice), 'missing_assertion')
    })

    it('the accessors give a handler the identity and the user without null checks, and refuse with 401 when there is none', async () => {
      const app = await context.start()
      const allowed = await app.get('/accessor', await as(ALICE))
      expect(allowed.status).toBe(200)
      const body = JSON.parse(allowed.body) as { subject: string; user: ConformanceIdentity }
      expect(body.subject).toBe('alice-123')
      expect(body.user.subject).toBe('alice-123')
      const bare = await app.get('/bare-accessor', await as(ALICE))
      expect(bare.status).toBe(401)
      expect(bare.body).not.toContain('alice')
      const optional = await context.start({ mode: 'optional' })
      expect((await optional.get('/accessor')).status).toBe(401)
      expect((await optional.get('/accessor', await as(ALICE))).status).toBe(200)
    })

    it('the global verification still runs first: an invalid assertion is refused before the guard', async () => {
      const app = await context.start()
      expectProblem(await app.get('/guarded/tenant-acme', { [ASSERTION_HEADER]: 'garbage' }), 'malformed_assertion')
      expectProblem(await app.get('/guarded/tenant-acme'), 'missing_assertion')
    })
  })
}
