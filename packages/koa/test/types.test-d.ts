import type { Context, DefaultState } from 'koa'
import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import { getIdentity, getUser, requireIdentity, type KoaTrustedProxyAuthOptions, type TrustedProxyAuthMiddleware, type TrustedProxyAuthState, type TrustedProxyUser } from '../src/index.js'

describe('Koa types', () => {
  it('ctx.state.user and ctx.state.trustedIdentity are typed on the default state', () => {
    expectTypeOf<DefaultState['user']>().toEqualTypeOf<TrustedProxyUser | undefined>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<TrustedIdentity>()
    expectTypeOf<DefaultState['trustedIdentity']>().toEqualTypeOf<TrustedIdentity | null | undefined>()
    expectTypeOf<Context['state']['user']>().toEqualTypeOf<TrustedProxyUser | undefined>()
  })

  it('getIdentity and getUser give a handler non-null values from any context', () => {
    expectTypeOf(getIdentity).returns.toEqualTypeOf<TrustedIdentity>()
    expectTypeOf(getUser).returns.toEqualTypeOf<TrustedProxyUser>()
    expectTypeOf<Context>().toMatchTypeOf<Parameters<typeof getIdentity>[0]>()
  })

  it('requireIdentity takes no requirements or typed ones, and its check receives the identity and the context', () => {
    requireIdentity()
    requireIdentity({
      check: async (identity, ctx) => {
        expectTypeOf(identity).toEqualTypeOf<TrustedIdentity>()
        expectTypeOf(ctx).toEqualTypeOf<Context>()
        return identity.groups.includes('admins')
      },
    })
  })

  it('the exported state type matches', () => {
    expectTypeOf<TrustedProxyAuthState['user']>().toEqualTypeOf<TrustedProxyUser | undefined>()
  })

  it('the middleware carries its verifier and resolveUser receives the context', () => {
    expectTypeOf<TrustedProxyAuthMiddleware['verifier']['verifyRequest']>().returns.resolves.toEqualTypeOf<TrustedIdentity | null>()
    expectTypeOf<NonNullable<KoaTrustedProxyAuthOptions['resolveUser']>>().parameters.toEqualTypeOf<[TrustedIdentity, Context]>()
  })
})
