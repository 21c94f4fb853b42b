import type { EnrollmentOperations } from './enrollment-operations.js'

// TEMPORARY until branch enroll-ts is merged: its module provides these functions (ENROLL-API.md).
const pending = (): never => {
  throw new Error('the enrollment module (branch enroll-ts) is not merged yet')
}
export const defaultEnrollmentOperations: EnrollmentOperations = {
  checkEnrollment: pending,
  proposeSettings: pending,
  enrollmentRecord: pending,
  writeEnrollmentRecord: pending,
  readEnrollmentRecord: () => null,
  revokeEnrollment: pending,
  createEnrollmentCode: pending,
  enrollmentCodeMatches: pending,
}
