export function renderContract(): string
export function renderEnrollmentRecordValidator(): string
