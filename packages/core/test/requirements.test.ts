import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkRequirements, createRequirementGuard, TrustedProxyAuthError, validateRequirements, type RequirementData, type TrustedIdentity } from '../src/index.js'

interface RequirementCase {
  id: string
  identity: { groups: string[]; claims: Record<string, unknown> }
  requirements: RequirementData
  expected: { allowed: boolean; detail?: string } | { invalid: string[] }
}

const table = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'test-vectors', 'requirements', 'cases.json'), 'utf8')) as { cases: RequirementCase[] }

function configError(run: () => unknown): TrustedProxyAuthError {
  try {
    run()
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return error
    throw error
  }
  throw new Error('expected invalid_config')
}

describe('test-vectors/requirements/cases.json', () => {
  it.each(table.cases.map((entry) => [entry.id, entry] as const))('%s', (_id, entry) => {
    if ('invalid' in entry.expected) {
      const error = configError(() => validateRequirements(entry.requirements))
      expect(error.code).toBe('invalid_config')
      expect(error.problems?.map((problem) => problem.variable)).toEqual(entry.expected.invalid)
      return
    }
    validateRequirements(entry.requirements)
    expect(checkRequirements(entry.identity, entry.requirements)).toBe(entry.expected.allowed ? null : entry.expected.detail)
  })
})

const identity = { subject: 'alice', groups: ['staff'], claims: { sub: 'alice', tenant: 'acme' } } as unknown as TrustedIdentity

async function denial(promise: Promise<void>): Promise<{ code: string; status: number; detail: string | undefined }> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  )
  if (!(error instanceof TrustedProxyAuthError)) throw new Error(`expected a TrustedProxyAuthError, got ${String(error)}`)
  return { code: error.code, status: error.status, detail: error.detail }
}

describe('createRequirementGuard', () => {
  it('refuses a malformed requirement when created', () => {
    expect(() => createRequirementGuard({ scopes: [] })).toThrow(TrustedProxyAuthError)
    expect(() => createRequirementGuard({ check: 'yes' as never })).toThrow(TrustedProxyAuthError)
  })

  it('answers 401 missing_assertion without an identity, before any check runs', async () => {
    let calls = 0
    const guard = createRequirementGuard({ check: () => (calls++, true) })
    expect(await denial(guard(null, {}))).toEqual({ code: 'missing_assertion', status: 401, detail: 'the route requires an identity' })
    expect(await denial(guard(undefined, {}))).toMatchObject({ code: 'missing_assertion' })
    expect(calls).toBe(0)
  })

  it('names the failed requirement in detail, with 403 forbidden_user', async () => {
    expect(await denial(createRequirementGuard({ claims: ['tenant=other'] })(identity, {}))).toEqual({ code: 'forbidden_user', status: 403, detail: 'route requires claim tenant=other' })
  })

  it('a custom check gets the identity and the request, sync or async; only true allows', async () => {
    const request = { path: '/x' }
    const seen: unknown[] = []
    await createRequirementGuard({ check: (who, req) => (seen.push(who, req), true) })(identity, request)
    await createRequirementGuard({ check: async () => true })(identity, request)
    expect(seen).toEqual([identity, request])
    for (const answer of [false, undefined, 'yes', 1]) {
      const guard = createRequirementGuard({ check: async () => answer as boolean })
      expect(await denial(guard(identity, request))).toEqual({ code: 'forbidden_user', status: 403, detail: 'route requires check' })
    }
  })

  it('the check runs only after the declarative requirements hold', async () => {
    let calls = 0
    const guard = createRequirementGuard({ groups: { any: ['ops'] }, check: () => (calls++, true) })
    expect((await denial(guard(identity, {}))).detail).toBe('route requires groups any of ops')
    expect(calls).toBe(0)
  })

  it('a TrustedProxyAuthError thrown by the check keeps its code (a 401 denial); other errors propagate', async () => {
    const unauthenticated = createRequirementGuard({ check: () => { throw new TrustedProxyAuthError('missing_assertion', { detail: 'step-up needed' }) } })
    expect(await denial(unauthenticated(identity, {}))).toEqual({ code: 'missing_assertion', status: 401, detail: 'step-up needed' })
    const broken = createRequirementGuard({ check: async () => { throw new RangeError('database down') } })
    await expect(broken(identity, {})).rejects.toThrow(RangeError)
  })
})
