// Apps often load Passport next to this adapter. Both augment Express.Request with `user`; the declarations
// must be identical (`user?: User | undefined` of the shared Express.User) or every build fails with TS2717
// unless skipLibCheck hides it. tsconfig.passport.json compiles this file with skipLibCheck false.
import type { Request } from 'express'
import type {} from 'passport'
import type { TrustedIdentity } from '@mieweb/trusted-proxy-auth'
import { describe, expectTypeOf, it } from 'vitest'
import type { TrustedProxyUser } from '../src/index.js'

describe('next to @types/passport', () => {
  it('req.user is still the identity and Passport\'s request methods are there', () => {
    expectTypeOf<NonNullable<Request['user']>>().toMatchTypeOf<TrustedIdentity>()
    expectTypeOf<TrustedProxyUser>().toEqualTypeOf<TrustedIdentity>()
    expectTypeOf<Request['isAuthenticated']>().toBeFunction()
  })
})
