import type { Request } from 'express'
import type { ResolvedUser, TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import { getIdentity, getUser, requireIdentity, trustedProxyAuth, type ExpressTrustedProxyAuthOptions, type TrustedProxyIdentity, type TrustedProxyUser } from '../src/index.js'

describe('Express types', () => {
  it('req.user is the identity (or the registered user) and req.trustedIdentity the identity', () => {
    // Express.User (shared with @types/passport) takes exactly the members of TrustedProxyUser.
    expectTypeOf<NonNullable<Request['user']>>().toMatchTypeOf<TrustedProxyUser>()
    expectTypeOf<TrustedProxyUser>().toMatchTypeOf<NonNullable<Request['user']>>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<TrustedIdentity>()
    expectTypeOf<Request['trustedIdentity']>().toEqualTypeOf<TrustedIdentity | null | undefined>()
  })

  it('getIdentity and getUser give a handler non-null values', () => {
    expectTypeOf(getIdentity).returns.toEqualTypeOf<TrustedIdentity>()
    expectTypeOf(getUser).returns.toEqualTypeOf<TrustedProxyUser>()
    expectTypeOf(getIdentity).parameter(0).toEqualTypeOf<Request>()
    expectTypeOf<TrustedProxyIdentity>().toEqualTypeOf<TrustedIdentity>()
  })

  it('requireIdentity takes no requirements or typed ones, and its check receives the identity and the request', () => {
    requireIdentity()
    requireIdentity({
      check: (identity, req) => {
        expectTypeOf(identity).toEqualTypeOf<TrustedIdentity>()
        expectTypeOf(req).toEqualTypeOf<Request>()
        return true
      },
    })
    // @ts-expect-error `group` is not a requirement (it is `groups`)
    requireIdentity({ group: ['admins'] })
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
