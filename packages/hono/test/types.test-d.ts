import { Hono } from 'hono'
import { hc } from 'hono/client'
import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import { getIdentity, getUser, requireIdentity, trustedProxyAuth, type HonoTrustedProxyAuthOptions, type TrustedProxyAuthVariables, type TrustedProxyUser } from '../src/index.js'

describe('Hono types', () => {
  it('the exported Variables type c.var.user and c.var.trustedIdentity', () => {
    expectTypeOf<TrustedProxyAuthVariables['user']>().toEqualTypeOf<TrustedProxyUser | null>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<TrustedIdentity>()
    new Hono<{ Variables: TrustedProxyAuthVariables }>().get('/', (c) => {
      expectTypeOf(c.var.user).toEqualTypeOf<TrustedIdentity | null>()
      expectTypeOf(c.get('trustedIdentity')).toEqualTypeOf<TrustedIdentity | null>()
      return c.text('ok')
    })
  })

  it('used as route middleware, Hono infers the variables by itself', () => {
    new Hono().get('/', trustedProxyAuth({ env: {} } as HonoTrustedProxyAuthOptions), (c) => {
      expectTypeOf(c.var.user).toEqualTypeOf<TrustedIdentity | null>()
      return c.text('ok')
    })
  })

  it('after requireIdentity on the same route, c.var.user and c.var.trustedIdentity are non-null', () => {
    const auth = trustedProxyAuth({ env: {} } as HonoTrustedProxyAuthOptions)
    new Hono().get('/admin', auth, requireIdentity({ groups: { any: ['admins'] } }), (c) => {
      expectTypeOf(c.var.trustedIdentity).toEqualTypeOf<TrustedIdentity>()
      expectTypeOf(c.var.user).toEqualTypeOf<TrustedIdentity>()
      return c.text(c.var.trustedIdentity.subject)
    })
    new Hono().get('/me', auth, requireIdentity(), (c) => c.text(c.var.user.subject))
  })

  it('protect(handler) gives the handler the variables, on a plain Hono app and on one that names them', () => {
    const auth = trustedProxyAuth({ env: {} } as HonoTrustedProxyAuthOptions)
    new Hono().get(
      '/me',
      auth.protect((c) => {
        expectTypeOf(c.var.user).toEqualTypeOf<TrustedIdentity | null>()
        expectTypeOf(c.var.trustedIdentity).toEqualTypeOf<TrustedIdentity | null>()
        return c.text('ok')
      }),
    )
    new Hono<{ Variables: TrustedProxyAuthVariables }>().get(
      '/users/:id',
      auth.protect((c) => {
        expectTypeOf(c.req.param('id')).toEqualTypeOf<string | undefined>()
        return c.json({ subject: c.var.user?.subject })
      }),
    )
  })

  it("protect(handler) keeps the route's RPC output type, and takes the app's own Env for its other variables and bindings", () => {
    const auth = trustedProxyAuth({ env: {} } as HonoTrustedProxyAuthOptions)
    const _app = new Hono().get(
      '/status',
      auth.protect((c) => c.json({ ok: true })),
    )
    const client = hc<typeof _app>('http://app.test')
    expectTypeOf(client.status.$get).returns.resolves.toHaveProperty('json')
    expectTypeOf<Awaited<ReturnType<Awaited<ReturnType<typeof client.status.$get>>['json']>>>().toEqualTypeOf<{ ok: true }>()
    type AppEnv = { Bindings: { REGION: string }; Variables: TrustedProxyAuthVariables & { requestId: string } }
    new Hono<AppEnv>().get(
      '/where',
      auth.protect<AppEnv>((c) => {
        expectTypeOf(c.var.requestId).toEqualTypeOf<string>()
        expectTypeOf(c.env.REGION).toEqualTypeOf<string>()
        expectTypeOf(c.var.user).toEqualTypeOf<TrustedIdentity | null>()
        return c.text(c.env.REGION)
      }),
    )
  })

  it('protect(handler, requirements) takes the route guard, its check typed with the app\'s context', () => {
    const auth = trustedProxyAuth({ env: {} } as HonoTrustedProxyAuthOptions)
    type AppEnv = { Variables: TrustedProxyAuthVariables & { tenant: string } }
    new Hono<AppEnv>().get(
      '/admin',
      auth.protect<AppEnv>((c) => c.text(c.var.tenant), {
        groups: { any: ['admins'] },
        check: (identity, c) => {
          expectTypeOf(identity).toEqualTypeOf<TrustedIdentity>()
          return c.var.tenant === identity.subject
        },
      }),
    )
    // @ts-expect-error groups take { any } or { all }, not a string
    auth.protect((c) => c.text('x'), { groups: 'admins' })
  })

  it('getIdentity and getUser give a handler non-null values from any context', () => {
    expectTypeOf(getIdentity).returns.toEqualTypeOf<TrustedIdentity>()
    expectTypeOf(getUser).returns.toEqualTypeOf<TrustedProxyUser>()
    new Hono().get('/', (c) => c.text(getIdentity(c).subject))
  })

  it('trustedIdentity is in ContextVariableMap for apps that do not name the Variables', () => {
    new Hono().get('/', (c) => {
      expectTypeOf(c.var.trustedIdentity).toEqualTypeOf<TrustedIdentity | null>()
      return c.text('ok')
    })
  })

  it('onError builds a Response and resolveUser receives the context', () => {
    expectTypeOf<NonNullable<HonoTrustedProxyAuthOptions['onError']>>().returns.toEqualTypeOf<Response | Promise<Response>>()
    expectTypeOf<NonNullable<HonoTrustedProxyAuthOptions['resolveUser']>>().parameter(0).toEqualTypeOf<TrustedIdentity>()
  })
})
