import type { Context, DefaultState } from 'koa'
import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import type { KoaTrustedProxyAuthOptions, TrustedProxyAuthMiddleware, TrustedProxyAuthState, TrustedProxyUser } from '../src/index.js'

describe('Koa types', () => {
  it('ctx.state.user and ctx.state.trustedIdentity are typed on the default state', () => {
    expectTypeOf<DefaultState['user']>().toEqualTypeOf<TrustedProxyUser | undefined>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<TrustedIdentity>()
    expectTypeOf<DefaultState['trustedIdentity']>().toEqualTypeOf<TrustedIdentity | null | undefined>()
    expectTypeOf<Context['state']['user']>().toEqualTypeOf<TrustedProxyUser | undefined>()
  })

  it('the exported state type matches', () => {
    expectTypeOf<TrustedProxyAuthState['user']>().toEqualTypeOf<TrustedProxyUser | undefined>()
  })

  it('the middleware carries its verifier and resolveUser receives the context', () => {
    expectTypeOf<TrustedProxyAuthMiddleware['verifier']['verifyRequest']>().returns.resolves.toEqualTypeOf<TrustedIdentity | null>()
    expectTypeOf<NonNullable<KoaTrustedProxyAuthOptions['resolveUser']>>().parameters.toEqualTypeOf<[TrustedIdentity, Context]>()
  })
})
