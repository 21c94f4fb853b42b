import { TrustedProxyAuthError } from '../errors.js'
import type { EventListener } from '../events.js'
import { ENROLLMENT_CONTRACT } from '../generated/contract.js'
import type { EnrollmentProposal, EnrollmentRecord, EnrollmentReport, SettingValue } from './enrollment-types.js'
import { removeEnrollmentRecord } from './record-file.js'

/** RFC 3339 in UTC, whole seconds, ending in Z (the schema's `enrolledAt`). */
function wholeSecondsUtc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * The enrollment record for a proposal whose checks all passed: its settings, the administrator (subject and
 * issuer of the verified challenge assertion), the time, the key set URL and key thumbprints, every check.
 * Throws `invalid_config` unless `report.ok` (a record is never written for a failed check).
 */
export function enrollmentRecord(report: EnrollmentReport, proposal: EnrollmentProposal, method: 'cli' | 'page', now: Date = new Date()): EnrollmentRecord {
  if (!report.ok || report.subject === null || report.issuer === null) {
    throw new TrustedProxyAuthError('invalid_config', { problems: [{ variable: 'enrollment', message: 'not every enrollment check passed' }] })
  }
  const settings: Record<string, SettingValue> = {}
  for (const [name, value] of Object.entries(proposal.settings)) settings[name] = Array.isArray(value) ? [...(value as readonly string[])] : value
  return {
    format: ENROLLMENT_CONTRACT.format,
    settings,
    enrolledAt: wholeSecondsUtc(now),
    enrolledBy: { subject: report.subject, issuer: report.issuer, method },
    keySetUrl: report.keySetUrl,
    keys: report.keys.map((key) => ({ ...key })),
    checks: report.checks.map((check) => ({ id: check.id, result: 'pass' as const })),
  }
}

export interface RevokeEnrollmentOptions {
  /** Receives the audit event `enrollment_revoked`. */
  onEvent?: EventListener
  /** The subject of the administrator who revoked (for the event). */
  by?: string
}

/** Removes the enrollment record at `path` (a missing file counts as revoked) and emits `enrollment_revoked`. */
export async function revokeEnrollment(path: string, options: RevokeEnrollmentOptions = {}): Promise<void> {
  await removeEnrollmentRecord(path)
  try {
    options.onEvent?.({ type: 'enrollment_revoked', path, by: options.by ?? null })
  } catch {
    // An audit hook that throws must not undo or fail the revocation.
  }
}
