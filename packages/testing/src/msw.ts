/**
 * JWKS and OpenID discovery mocks as msw request handlers, for tests that intercept `fetch` instead of
 * starting a loopback server. A subpath of its own so that `msw` (an optional peer dependency) is needed
 * only by the tests that import it:
 *
 * ```ts
 * import { jwksHandlers } from '@mieweb/trusted-proxy-auth-testing/msw'
 * ```
 *
 * @module
 */
export { jwksHandlers, type JwksHandlersOptions, type JwksMock } from './msw-handlers.js'
