import type { checkEnrollment } from '../check-enrollment.js'
import type { createEnrollmentCode, enrollmentCodeMatches } from '../enrollment-code.js'
import type { enrollmentRecord, revokeEnrollment } from '../enrollment-record.js'
import type { proposeSettings } from '../propose-settings.js'
import type { readEnrollmentRecord, writeEnrollmentRecord } from '../record-file.js'

export type { EnrolledKey, EnrollmentCheckResult, EnrollmentProposal, EnrollmentRecord, EnrollmentReport, SettingValue } from '../enrollment-types.js'

/**
 * The enrollment module's functions the page calls (ENROLL-API.md), as one object: the page depends on these
 * shapes, the adapters pass the real module (default-operations.ts), and the page's own tests a recording double.
 */
export interface EnrollmentOperations {
  checkEnrollment: typeof checkEnrollment
  proposeSettings: typeof proposeSettings
  enrollmentRecord: typeof enrollmentRecord
  writeEnrollmentRecord: typeof writeEnrollmentRecord
  readEnrollmentRecord: typeof readEnrollmentRecord
  revokeEnrollment: typeof revokeEnrollment
  createEnrollmentCode: typeof createEnrollmentCode
  enrollmentCodeMatches: typeof enrollmentCodeMatches
}
