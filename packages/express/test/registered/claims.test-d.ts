// Compiled on its own (tsconfig.registered.json): the registration below is global, as in an application.
import type { Request } from 'express'
import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import { getIdentity, getUser, requireIdentity, type ExpressTrustedProxyAuthOptions, type TrustedProxyIdentity, type TrustedProxyUser } from '../../src/index.js'

interface AppClaims {
  tenant: string
}
interface AppUser {
  id: number
  tenant: string
}

declare module '../../src/index.js' {
  interface TrustedProxyAuthRegister {
    claims: AppClaims
    user: AppUser
  }
}

describe('registered claims and user (Express)', () => {
  it('type the identity on the request, in resolveUser, in route checks and from the accessors', () => {
    expectTypeOf<TrustedProxyIdentity>().toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf<NonNullable<Request['trustedIdentity']>['claims']['tenant']>().toEqualTypeOf<string>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<AppUser>()
    expectTypeOf<NonNullable<Request['user']>['id']>().toEqualTypeOf<number>()
    expectTypeOf<NonNullable<ExpressTrustedProxyAuthOptions['resolveUser']>>().parameter(0).toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf(getIdentity).returns.toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf(getUser).returns.toEqualTypeOf<AppUser>()
    requireIdentity({ check: (identity) => identity.claims.tenant === 'acme' })
  })
})
