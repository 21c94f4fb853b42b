/**
 * `@mieweb/trusted-proxy-auth`: verify the signed identity assertion an identity-aware proxy forwards.
 * @module
 */
export { loadConfig } from './config.js'
export type { EnvInput, NameValueRule, TrustedProxyAuthConfig, TrustedProxyAuthOptions } from './config.js'
export { createVerifier, createVerifierFromEnv } from './verifier.js'
export type { RequestLike, Verifier, VerifierDependencies, VerifyOptions } from './verifier.js'
export { ERROR_CODES, isTrustedProxyAuthError, TrustedProxyAuthError } from './errors.js'
export type { ConfigProblem, ErrorCode } from './errors.js'
export type { TrustedIdentity } from './identity.js'
export type { TrustedProxyAuthEvent, EventListener } from './events.js'
export type { KeyStatus, Scheduler } from './key-store.js'
export { RETRY_SCHEDULE_MS } from './key-store.js'
export type { HeadersInput } from './request-headers.js'
export { headerValues } from './request-headers.js'
export { PROBLEM_CONTENT_TYPE, toProblemDetails } from './problem-details.js'
export type { ProblemBody, ProblemResponse } from './problem-details.js'
export { ENV_CONTRACT, ERROR_CONTRACT, CHECKS_CONTRACT, PRESETS_CONTRACT } from './generated/contract.js'
export { authenticateUpgrade, rawHeaderPairs, rejectUpgrade, verifyNodeRequest } from './node-http.js'
export type { UpgradeAuthentication } from './node-http.js'
export { verifierFromAdapterOptions } from './adapter-options.js'
export type { VerifierSource } from './adapter-options.js'
