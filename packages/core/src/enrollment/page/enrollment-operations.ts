import type { EnvInput } from '../../config.js'

/**
 * The enrollment module's API (ENROLL-API.md) as the page uses it: checks, proposals, the record and the
 * one-time code. The page takes these as one object so that it depends on the shapes, not on where they live.
 */
export type SettingValue = string | number | readonly string[]

export interface EnrollmentProposal {
  /** TRUSTED_PROXY_* keyed settings. */
  readonly settings: Readonly<Record<string, SettingValue>>
}

export interface EnrollmentCheckResult {
  id: string
  title: string
  result: 'pass' | 'fail' | 'not_run'
  /** Non-secret. */
  detail?: string
}

export interface EnrolledKey {
  kid: string | null
  kty: 'RSA' | 'EC' | 'OKP'
  alg: string | null
  /** RFC 7638 SHA-256 thumbprint, base64url. */
  thumbprint: string
}

export interface EnrollmentReport {
  ok: boolean
  checks: EnrollmentCheckResult[]
  decoded: { header: Record<string, unknown>; claims: Record<string, unknown> } | null
  keySetUrl: string | null
  keys: EnrolledKey[]
  subject: string | null
  issuer: string | null
}

/** contract/schema/enrollment-record.schema.json */
export interface EnrollmentRecord {
  format: string
  settings: Record<string, SettingValue>
  enrolledAt: string
  enrolledBy: { subject: string; issuer: string; method: 'cli' | 'page' }
  keySetUrl: string | null
  keys: EnrolledKey[]
  checks: Array<{ id: string; result: 'pass' }>
}

export interface EnrollmentOperations {
  checkEnrollment(proposal: EnrollmentProposal, assertion: string, options?: { env?: EnvInput; now?: () => number; fetch?: typeof fetch }): Promise<EnrollmentReport>
  proposeSettings(input: { assertion: string; preset?: string; discovery?: boolean; env?: EnvInput }): Promise<EnrollmentProposal>
  enrollmentRecord(report: EnrollmentReport, proposal: EnrollmentProposal, method: 'cli' | 'page', now?: Date): EnrollmentRecord
  writeEnrollmentRecord(path: string, record: EnrollmentRecord): Promise<void>
  readEnrollmentRecord(path: string): EnrollmentRecord | null
  revokeEnrollment(path: string): Promise<void>
  createEnrollmentCode(): string
  enrollmentCodeMatches(expected: string, given: string): boolean
}
