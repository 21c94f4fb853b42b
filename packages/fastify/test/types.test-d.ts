import Fastify, { type FastifyRequest } from 'fastify'
import type { RouteRequirements, TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import { getIdentity, getUser, requireIdentity, type FastifyTrustedProxyAuthOptions, type TrustedProxyAuthPlugin, type TrustedProxyUser } from '../src/index.js'

describe('Fastify types', () => {
  it('request.user and request.trustedIdentity are declared on every request', () => {
    expectTypeOf<FastifyRequest['user']>().toEqualTypeOf<TrustedProxyUser | null>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<TrustedIdentity>()
    expectTypeOf<FastifyRequest['trustedIdentity']>().toEqualTypeOf<TrustedIdentity | null>()
  })

  it('routes opt out through their config', () => {
    expectTypeOf<FastifyRequest['routeOptions']['config']['trustedProxyAuth']>().toEqualTypeOf<boolean | undefined>()
  })

  it('routes take requirements through their config, checked like requireIdentity', () => {
    const app = Fastify()
    app.get('/admin', { config: { trustedProxyRequirements: { groups: { any: ['admins'] }, check: (identity, request) => identity.subject !== request.ip } } }, async () => 'ok')
    // Fastify's route config is generic, so a misspelt key is caught at start-up (invalid_config), not here.
    expectTypeOf<FastifyRequest['routeOptions']['config']['trustedProxyRequirements']>().toEqualTypeOf<RouteRequirements<FastifyRequest, TrustedIdentity> | undefined>()
    requireIdentity()
  })

  it('getIdentity and getUser give a handler non-null values', () => {
    expectTypeOf(getIdentity).returns.toEqualTypeOf<TrustedIdentity>()
    expectTypeOf(getUser).returns.toEqualTypeOf<TrustedProxyUser>()
    expectTypeOf(getIdentity).parameter(0).toEqualTypeOf<FastifyRequest>()
  })

  it('the plugin is also an onRequest hook and carries its verifier', () => {
    expectTypeOf<TrustedProxyAuthPlugin['verifier']['verifyRequest']>().returns.resolves.toEqualTypeOf<TrustedIdentity | null>()
    expectTypeOf<NonNullable<FastifyTrustedProxyAuthOptions['resolveUser']>>().parameters.toEqualTypeOf<[TrustedIdentity, FastifyRequest]>()
  })
})
