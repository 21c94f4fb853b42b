import { DOCTOR_CONTRACT, PRESETS_CONTRACT, type DoctorFindingId } from '../generated/contract.js'

export type Severity = 'critical' | 'warning' | 'info'

/** One finding of `trusted-proxy-auth doctor` (contract/doctor.json): never a token, secret or key material. */
export interface Finding {
  readonly id: DoctorFindingId
  readonly severity: Severity
  readonly message: string
  readonly fix: string
  /** Non-secret specifics: a setting, a kid, a fetch cause. */
  readonly detail?: string
}

const DEFINITIONS = new Map<string, (typeof DOCTOR_CONTRACT.findings)[number]>(DOCTOR_CONTRACT.findings.map((entry) => [entry.id, entry]))

export function finding(id: DoctorFindingId, detail?: string): Finding {
  const entry = DEFINITIONS.get(id)
  if (!entry) throw new TypeError(`unknown doctor finding ${id}`)
  const result: { -readonly [K in keyof Finding]: Finding[K] } = { id, severity: entry.severity, message: entry.message, fix: entry.fix }
  if (detail !== undefined) result.detail = detail
  return result
}

/** Concrete header names of contract/presets.json `unsignedConventions`, lower-cased (patterns skipped). */
export function unsignedIdentityHeaders(): ReadonlySet<string> {
  const names = PRESETS_CONTRACT.unsignedConventions.flatMap((convention) => [...convention.headers])
  return new Set(names.filter((name) => !/[<*]/.test(name)).map((name) => name.toLowerCase()))
}

export const MAX_CLOCK_TOLERANCE_SECONDS: number = DOCTOR_CONTRACT.limits.maxClockToleranceSeconds
