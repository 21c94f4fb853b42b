// Compiled on its own (tsconfig.registered.json): the registration below is global, as in an application.
import type { Context, DefaultState } from 'koa'
import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import { getIdentity, getUser, requireIdentity, type KoaTrustedProxyAuthOptions, type TrustedProxyIdentity, type TrustedProxyUser } from '../../src/index.js'

interface AppClaims {
  tenant: string
}
interface AppUser {
  id: number
}

declare module '../../src/index.js' {
  interface TrustedProxyAuthRegister {
    claims: AppClaims
    user: AppUser
  }
}

describe('registered claims and user (Koa)', () => {
  it('type ctx.state, resolveUser, route checks and the accessors', () => {
    expectTypeOf<TrustedProxyIdentity>().toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf<NonNullable<DefaultState['trustedIdentity']>['claims']['tenant']>().toEqualTypeOf<string>()
    expectTypeOf<DefaultState['user']>().toEqualTypeOf<AppUser | undefined>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<AppUser>()
    expectTypeOf<NonNullable<KoaTrustedProxyAuthOptions['resolveUser']>>().parameters.toEqualTypeOf<[TrustedIdentity<AppClaims>, Context]>()
    expectTypeOf(getIdentity).returns.toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf(getUser).returns.toEqualTypeOf<AppUser>()
    requireIdentity({ check: (identity) => identity.claims.tenant === 'acme' })
  })
})
