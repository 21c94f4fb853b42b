/**
 * Test helpers for apps and packages that verify identity assertions with trusted-proxy-auth:
 * a key-holding test issuer, a loopback HTTP JWKS endpoint and the headers a proxy would send. The msw
 * handlers live in the `/msw` subpath (msw is an optional peer dependency); the adapter conformance suite in
 * `/conformance` (needs vitest).
 *
 * @module
 */
export { TEST_ALGORITHMS, type TestAlgorithm } from './algorithms.js'
export type { JwsPart } from './compact-jws.js'
export {
  createTestIssuer,
  DEFAULT_EXPIRES_IN,
  DEFAULT_TEST_AUDIENCE,
  DEFAULT_TEST_ISSUER,
  DEFAULT_TEST_SUBJECT,
  type JsonWebKeySet,
  type SignOptions,
  type SignRawOptions,
  type TestIssuer,
  type TestIssuerOptions,
  type TestKeyInfo,
} from './test-issuer.js'
export {
  JWKS_RESPONSE_KINDS,
  type JwksEndpointControl,
  type JwksEndpointOptions,
  type JwksRequestLog,
  type JwksRequestRecord,
  type JwksResponseKind,
} from './jwks-endpoint.js'
export { DISCOVERY_PATH, JWKS_PATH, startTestIssuer, type RunningTestIssuer, type StartTestIssuerOptions } from './loopback-issuer.js'
export { bearer, DEFAULT_ASSERTION_HEADER, envFor, proxyHeaders, type EnvSource, type ProxyHeadersOptions } from './request-helpers.js'
export type { AdapterConformanceOptions, ConformanceApp, ConformanceAppOptions, ConformanceAuthOptions } from './conformance/types.js'
export { ENROLLMENT_PATH, enrollThroughPage, type EnrollmentFlowResult, type EnrollThroughPageOptions } from './enrollment-flow.js'
