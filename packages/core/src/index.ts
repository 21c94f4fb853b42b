/**
 * `@mieweb/trusted-proxy-auth`: verify the signed identity assertion an identity-aware proxy forwards.
 * @module
 */
export { loadConfig } from './config.js'
export type { EnvInput, LoadConfigBehaviour, NameValueRule, TrustedProxyAuthConfig, TrustedProxyAuthOptions } from './config.js'
export type { KeySource } from './key-sources/key-source.js'
export type { IssuerConfig } from './issuer-entries.js'
export type { PresetQuirks } from './presets.js'
export { createVerifier, createVerifierFromEnv } from './verifier.js'
export type { RequestLike, Verifier, VerifierDependencies, VerifyOptions } from './verifier.js'
export { verifyRequestNow } from './verify-request-now.js'
export type { VerdictNowOrLater } from './verify-request-now.js'
export { ERROR_CODES, isTrustedProxyAuthError, TrustedProxyAuthError } from './errors.js'
export type { ConfigProblem, ErrorCode, TrustedProxyAuthErrorOptions } from './errors.js'
export type { TrustedIdentity } from './identity.js'
export type { TrustedProxyAuthEvent, EventListener } from './events.js'
export type { KeyStatus, Scheduler } from './key-store.js'
export { RETRY_SCHEDULE_MS } from './key-store.js'
export type { HeadersInput } from './request-headers.js'
export type { CacheCounts } from './verified-assertion-cache.js'
export { headerValues } from './request-headers.js'
export { PROBLEM_CONTENT_TYPE, toProblemDetails } from './problem-details.js'
export type { ProblemBody, ProblemOptions, ProblemResponse } from './problem-details.js'
export { ENV_CONTRACT, ERROR_CONTRACT, CHECKS_CONTRACT, PRESETS_CONTRACT, ENROLLMENT_CONTRACT } from './generated/contract.js'
export type { AlgorithmName, ContractOptions, PresetName } from './generated/contract.js'
export { authenticateUpgrade, rawHeaderPairs, rejectUpgrade, verifyNodeRequest } from './node-http.js'
export type { UpgradeAuthentication } from './node-http.js'
export { verifierFromAdapterOptions } from './adapter-options.js'
export { acquireVerifier, sharedVerifierCount } from './shared-verifiers.js'
export type { Logger, LogLevel } from './logger.js'
export type { VerifierSource } from './adapter-options.js'
export { resolveAdapterUser } from './resolve-user.js'
export { NO_IDENTITY_DETAIL, requirePresent } from './required-identity.js'
export { problemOptionsFor, rememberProblemOptions } from './problem-settings.js'
export type { ResolvedUser } from './resolve-user.js'
export { checkRequirements, createRequirementGuard, grantedScopes, validateRequirements } from './requirements.js'
export type { RequirementCheckResult, RequirementData, RequirementFailure, RequirementGuard, RouteRequirements } from './requirements.js'
export { authenticationFromAdapterOptions } from './adapter-options.js'
export type { AdapterAuthentication } from './adapter-options.js'
export { createEnrollmentPage, DEFAULT_ENROLLMENT_PATH, MAX_FORM_BYTES } from './enrollment/page/enrollment-page.js'
export type { EnrollmentPage, EnrollmentPageOptions, EnrollmentPageRequest, EnrollmentPageResponse, EnrollmentSettings } from './enrollment/page/enrollment-page.js'
export { EnrollmentAwareVerifier, verifierProblemOptions } from './enrollment/page/enrollment-aware-verifier.js'
export type { FailureCount } from './enrollment/page/enrollment-aware-verifier.js'
export { enrollmentResponseForNode, writeEnrollmentResponse } from './enrollment/page/node-enrollment.js'
export { FormTooLargeError, parseForm, readForm } from './enrollment/page/form-body.js'
export {
  checkEnrollment,
  createEnrollmentCode,
  enrollmentCodeMatches,
  enrollmentRecord,
  enrollmentRecordProblems,
  proposeSettings,
  readEnrollmentRecord,
  revokeEnrollment,
  writeEnrollmentRecord,
} from './enrollment/index.js'
export type {
  CheckEnrollmentOptions,
  EnrolledKey,
  EnrollmentCheckId,
  EnrollmentCheckResult,
  EnrollmentProposal,
  EnrollmentRecord,
  EnrollmentReport,
  ProposeSettingsInput,
  RevokeEnrollmentOptions,
  SettingValue,
} from './enrollment/index.js'
