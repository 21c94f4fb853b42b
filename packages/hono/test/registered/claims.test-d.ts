// Compiled on its own (tsconfig.registered.json): the registration below is global, as in an application.
import { Hono } from 'hono'
import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import { getIdentity, getUser, requireIdentity, trustedProxyAuth, type HonoTrustedProxyAuthOptions, type TrustedProxyIdentity, type TrustedProxyUser } from '../../src/index.js'

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

describe('registered claims and user (Hono)', () => {
  it('type c.var, resolveUser, route checks and the accessors', () => {
    expectTypeOf<TrustedProxyIdentity>().toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<AppUser>()
    expectTypeOf<NonNullable<HonoTrustedProxyAuthOptions['resolveUser']>>().parameter(0).toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf(getIdentity).returns.toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf(getUser).returns.toEqualTypeOf<AppUser>()
    const auth = trustedProxyAuth({ env: {} } as HonoTrustedProxyAuthOptions)
    new Hono().get('/t', auth, requireIdentity({ check: (identity) => identity.claims.tenant === 'acme' }), (c) => {
      expectTypeOf(c.var.trustedIdentity.claims.tenant).toEqualTypeOf<string>()
      expectTypeOf(c.var.user.id).toEqualTypeOf<number>()
      return c.text('ok')
    })
    new Hono().get('/u', (c) => {
      expectTypeOf(c.var.trustedIdentity).toEqualTypeOf<TrustedIdentity<AppClaims> | null>()
      return c.text('ok')
    })
  })
})
