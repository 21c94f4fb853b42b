import { checkEnrollment } from '../check-enrollment.js'
import { createEnrollmentCode, enrollmentCodeMatches } from '../enrollment-code.js'
import { enrollmentRecord, revokeEnrollment } from '../enrollment-record.js'
import { proposeSettings } from '../propose-settings.js'
import { readEnrollmentRecord, writeEnrollmentRecord } from '../record-file.js'
import type { EnrollmentOperations } from './enrollment-operations.js'

/** The enrollment module itself: what every adapter's page uses. */
export const defaultEnrollmentOperations: EnrollmentOperations = {
  checkEnrollment,
  proposeSettings,
  enrollmentRecord,
  writeEnrollmentRecord,
  readEnrollmentRecord,
  revokeEnrollment,
  createEnrollmentCode,
  enrollmentCodeMatches,
}
