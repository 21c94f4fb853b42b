// Compiled on its own (tsconfig.registered.json): the registration below is global, as in an application.
import Fastify, { type FastifyRequest } from 'fastify'
import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import { getIdentity, getUser, requireIdentity, type FastifyTrustedProxyAuthOptions, type TrustedProxyIdentity, type TrustedProxyUser } from '../../src/index.js'

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

describe('registered claims and user (Fastify)', () => {
  it('type the request, resolveUser, route checks (option and preHandler) and the accessors', () => {
    expectTypeOf<TrustedProxyIdentity>().toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf<FastifyRequest['trustedIdentity']>().toEqualTypeOf<TrustedIdentity<AppClaims> | null>()
    expectTypeOf<FastifyRequest['user']>().toEqualTypeOf<AppUser | null>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<AppUser>()
    expectTypeOf<NonNullable<FastifyTrustedProxyAuthOptions['resolveUser']>>().parameter(0).toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf(getIdentity).returns.toEqualTypeOf<TrustedIdentity<AppClaims>>()
    expectTypeOf(getUser).returns.toEqualTypeOf<AppUser>()
    requireIdentity({ check: (identity) => identity.claims.tenant === 'acme' })
    Fastify().get('/t', { config: { trustedProxyRequirements: { check: (identity) => identity.claims.tenant === 'acme' } } }, async () => 'ok')
  })
})
