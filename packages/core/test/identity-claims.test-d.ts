import { describe, expectTypeOf, it } from 'vitest'
import { createRequirementGuard, requirePresent, type RouteRequirements, type TrustedIdentity } from '../src/index.js'

interface AppClaims {
  tenant: string
  roles: readonly string[]
}

describe('TrustedIdentity<Claims>', () => {
  it('types the declared claims and leaves every other claim unknown', () => {
    expectTypeOf<TrustedIdentity<AppClaims>['claims']['tenant']>().toEqualTypeOf<string>()
    expectTypeOf<TrustedIdentity<AppClaims>['claims']['roles']>().toEqualTypeOf<readonly string[]>()
    expectTypeOf<TrustedIdentity<AppClaims>['claims']['anything']>().toEqualTypeOf<unknown>()
    expectTypeOf<TrustedIdentity['claims']>().toEqualTypeOf<Readonly<Record<string, unknown>>>()
  })

  it('a typed identity is still a TrustedIdentity; the reverse needs the application to say so', () => {
    expectTypeOf<TrustedIdentity<AppClaims>>().toMatchTypeOf<TrustedIdentity>()
    expectTypeOf<TrustedIdentity>().not.toMatchTypeOf<TrustedIdentity<AppClaims>>()
  })

  it('claims are read-only', () => {
    const identity = {} as TrustedIdentity<AppClaims>
    // @ts-expect-error the verified payload cannot be changed
    identity.claims.tenant = 'other'
  })

  it('a route check receives the identity type the adapter exposes', () => {
    const requirements: RouteRequirements<{ path: string }, TrustedIdentity<AppClaims>> = {
      check: (identity, request) => identity.claims.tenant === request.path,
    }
    expectTypeOf(createRequirementGuard(requirements)).parameter(0).toEqualTypeOf<TrustedIdentity<AppClaims> | null | undefined>()
  })

  it('requirePresent drops null and undefined', () => {
    expectTypeOf(requirePresent<TrustedIdentity<AppClaims>>).returns.toEqualTypeOf<TrustedIdentity<AppClaims>>()
  })
})
