import type { TrustedProxyAuthConfig } from '../config.js'
import { errorEntry, TrustedProxyAuthError } from '../errors.js'
import { createVerifier } from '../verifier.js'
import { finding, type Finding, type Severity } from './findings.js'
import { liveFindings } from './live-checks.js'
import { configProblemFindings, staticFindings } from './static-checks.js'

/** The JSON `trusted-proxy-auth doctor --json` prints (the same in Python). */
export interface DoctorReport {
  /** false when any finding is critical (exit 1). */
  ok: boolean
  counts: Record<Severity, number>
  findings: Finding[]
  /** The verified assertion's claims, with --assertion; never the assertion itself. */
  claims?: Record<string, unknown>
}

export interface DoctorInput {
  /** The loaded configuration, or the invalid_config error loading it raised. */
  config: TrustedProxyAuthConfig | TrustedProxyAuthError
  /** Check the key endpoint (default true). */
  live: boolean
  assertion?: string
  /** Seconds since the epoch for verifying the assertion (default: the clock). */
  now?: number
  fetch?: typeof fetch
}

async function assertionFindings(config: TrustedProxyAuthConfig, token: string, now: number | undefined, fetchImpl: typeof fetch | undefined): Promise<{ findings: Finding[]; claims?: Record<string, unknown> }> {
  const verifier = createVerifier(config, fetchImpl ? { fetch: fetchImpl } : {})
  try {
    const identity = await verifier.verifyAssertion(token, now === undefined ? {} : { now })
    return { findings: [finding('assertion_verified', identity.subject)], claims: { ...identity.claims } }
  } catch (error) {
    if (!(error instanceof TrustedProxyAuthError)) throw error
    const cause = (error as { detail?: unknown }).detail ?? (error.code === 'jwks_unavailable' ? verifier.status().lastError : null)
    const detail = `${error.code}: ${errorEntry(error.code).message}${typeof cause === 'string' && cause !== '' ? ` (${cause})` : ''}`
    return { findings: [finding('assertion_rejected', detail)] }
  } finally {
    verifier.close()
  }
}

/** Runs every doctor check the input allows, in a fixed order: static, live, assertion. */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const findings: Finding[] = []
  let claims: Record<string, unknown> | undefined
  if (input.config instanceof TrustedProxyAuthError) {
    findings.push(...configProblemFindings(input.config))
  } else {
    findings.push(...staticFindings(input.config))
    if (input.live) findings.push(...(await liveFindings(input.config, input.fetch)))
    if (input.assertion !== undefined) {
      const checked = await assertionFindings(input.config, input.assertion, input.now, input.fetch)
      findings.push(...checked.findings)
      claims = checked.claims
    }
  }
  const counts: Record<Severity, number> = { critical: 0, warning: 0, info: 0 }
  for (const item of findings) counts[item.severity]++
  const report: DoctorReport = { ok: counts.critical === 0, counts, findings }
  if (claims !== undefined) report.claims = claims
  return report
}

/** The terminal form: one block per finding, worst first, then the claims. */
export function formatDoctorReport(report: DoctorReport): string {
  const order: Severity[] = ['critical', 'warning', 'info']
  const lines: string[] = []
  for (const severity of order) {
    for (const item of report.findings.filter((f) => f.severity === severity)) {
      lines.push(`${severity.toUpperCase()} ${item.id}: ${item.message}`)
      if (item.detail !== undefined) lines.push(`  detail: ${item.detail}`)
      if (severity !== 'info') lines.push(`  fix: ${item.fix}`)
    }
  }
  if (report.claims !== undefined) {
    lines.push('claims:')
    for (const [name, value] of Object.entries(report.claims)) lines.push(`  ${name}: ${JSON.stringify(value)}`)
  }
  lines.push(`${report.counts.critical} critical, ${report.counts.warning} warning, ${report.counts.info} info`)
  return lines.join('\n') + '\n'
}
