import type { Request } from 'express'
import type { ResolvedUser, TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import { trustedProxyAuth, type ExpressTrustedProxyAuthOptions, type TrustedProxyUser } from '../src/index.js'

describe('Express types', () => {
  it('req.user is the identity (or the registered user) and req.trustedIdentity the identity', () => {
    // Express.User (shared with @types/passport) takes exactly the members of TrustedProxyUser.
    expectTypeOf<NonNullable<Request['user']>>().toMatchTypeOf<TrustedProxyUser>()
    expectTypeOf<TrustedProxyUser>().toMatchTypeOf<NonNullable<Request['user']>>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<TrustedIdentity>()
    expectTypeOf<Request['trustedIdentity']>().toEqualTypeOf<TrustedIdentity | null | undefined>()
  })

  it('the identity members are typed', () => {
    expectTypeOf<TrustedIdentity['subject']>().toEqualTypeOf<string>()
    expectTypeOf<TrustedIdentity['email']>().toEqualTypeOf<string | null>()
    expectTypeOf<TrustedIdentity['groups']>().toEqualTypeOf<readonly string[]>()
  })

  it('trustedProxyAuth is a request handler that carries its verifier', () => {
    const middleware = trustedProxyAuth({ env: {} } as ExpressTrustedProxyAuthOptions)
    expectTypeOf(middleware.verifier.verifyRequest).returns.resolves.toEqualTypeOf<TrustedIdentity | null>()
    expectTypeOf(trustedProxyAuth).parameter(0).toEqualTypeOf<ExpressTrustedProxyAuthOptions | undefined>()
  })

  it('resolveUser returns the user type, or null/undefined to deny, and receives the Express request', () => {
    expectTypeOf<NonNullable<ExpressTrustedProxyAuthOptions['resolveUser']>>().parameters.toEqualTypeOf<[TrustedIdentity, Request]>()
    expectTypeOf<NonNullable<ExpressTrustedProxyAuthOptions['resolveUser']>>().returns.toEqualTypeOf<ResolvedUser<TrustedProxyUser>>()
  })
})
