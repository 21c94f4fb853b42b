import type { EnrollmentCheckId } from '../generated/contract.js'

export type { EnrollmentCheckId }

/** A setting's value as an enrollment record stores it (the value types TRUSTED_PROXY_CONFIG_FILE accepts). */
export type SettingValue = string | number | readonly string[]

/** The settings an administrator proposes to trust, keyed by TRUSTED_PROXY_* variable name. */
export interface EnrollmentProposal {
  readonly settings: Readonly<Record<string, SettingValue>>
}

/** The outcome of one check of contract/enrollment.json. `detail` is non-secret (never the assertion or key material). */
export interface EnrollmentCheckResult {
  id: EnrollmentCheckId
  title: string
  result: 'pass' | 'fail' | 'not_run'
  detail?: string
}

/** A key seen at enrollment, for the audit trail (never a pin). */
export interface EnrolledKey {
  kid: string | null
  kty: 'RSA' | 'EC' | 'OKP'
  alg: string | null
  /** RFC 7638 JWK thumbprint, SHA-256, base64url without padding (43 characters). */
  thumbprint: string
}

/** What checkEnrollment found: every check of contract/enrollment.json in its order, and what would be trusted. */
export interface EnrollmentReport {
  /** Every check passed: only then may a record be written. */
  ok: boolean
  /** In contract order; every check is present (`not_run` when an earlier failure left nothing to check). */
  checks: EnrollmentCheckResult[]
  /** The challenge assertion's protected header and claims, decoded without verification: for display only. */
  decoded: { header: Record<string, unknown>; claims: Record<string, unknown> } | null
  /** The key-set URL the keys came from (after discovery), or null when keys are not fetched from one URL. */
  keySetUrl: string | null
  /** The usable keys of the key set. */
  keys: EnrolledKey[]
  /** Subject and issuer of the verified challenge assertion (the enrolling administrator); null unless it verified. */
  subject: string | null
  issuer: string | null
}

/** The enrollment record (contract/schema/enrollment-record.schema.json). */
export interface EnrollmentRecord {
  format: 'trusted-proxy-auth.enrollment/1'
  settings: Record<string, SettingValue>
  /** RFC 3339 UTC, whole seconds, ending in Z. */
  enrolledAt: string
  enrolledBy: { subject: string; issuer: string; method: 'cli' | 'page' }
  keySetUrl: string | null
  keys: EnrolledKey[]
  checks: Array<{ id: string; result: 'pass' }>
}
