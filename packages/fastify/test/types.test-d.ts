import type { FastifyRequest } from 'fastify'
import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import type { FastifyTrustedProxyAuthOptions, TrustedProxyAuthPlugin, TrustedProxyUser } from '../src/index.js'

describe('Fastify types', () => {
  it('request.user and request.trustedIdentity are declared on every request', () => {
    expectTypeOf<FastifyRequest['user']>().toEqualTypeOf<TrustedProxyUser | null>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<TrustedIdentity>()
    expectTypeOf<FastifyRequest['trustedIdentity']>().toEqualTypeOf<TrustedIdentity | null>()
  })

  it('routes opt out through their config', () => {
    expectTypeOf<FastifyRequest['routeOptions']['config']['trustedProxyAuth']>().toEqualTypeOf<boolean | undefined>()
  })

  it('the plugin is also an onRequest hook and carries its verifier', () => {
    expectTypeOf<TrustedProxyAuthPlugin['verifier']['verifyRequest']>().returns.resolves.toEqualTypeOf<TrustedIdentity | null>()
    expectTypeOf<NonNullable<FastifyTrustedProxyAuthOptions['resolveUser']>>().parameters.toEqualTypeOf<[TrustedIdentity, FastifyRequest]>()
  })
})
