import { printable } from '../detail-text.js'
import { REFUSES_ADMINISTRATOR } from '../enrollment/check-enrollment.js'
import { loggableUrl } from '../startup-report.js'
import type { EnrollmentProposal, EnrollmentReport, SettingValue } from '../enrollment/enrollment-types.js'

/**
 * The JSON `trusted-proxy-auth enroll --json` prints (the Python CLI prints the same shape): what would be
 * trusted, every check, and whether the record was written. Never the assertion; `decoded` holds its header
 * and claims for display.
 */
export interface EnrollOutput {
  ok: boolean
  written: boolean
  out: string | null
  /** The proposed settings; every value null (withheld) when configuration_valid failed. */
  settings: Readonly<Record<string, SettingValue | null>>
  keySetUrl: string | null
  keys: EnrollmentReport['keys']
  enrolledBy: { subject: string; issuer: string } | null
  checks: EnrollmentReport['checks']
  decoded: EnrollmentReport['decoded']
}

/**
 * Settings the runtime refuses are not shown: like loadConfig's problems, which name entries by position, a
 * refused configuration may hold a value that was never meant for that setting (a token, a secret).
 */
function shownSettings(report: EnrollmentReport, proposal: EnrollmentProposal): Record<string, SettingValue | null> {
  const refused = report.checks.some((check) => check.id === 'configuration_valid' && check.result === 'fail' && check.detail?.startsWith(REFUSES_ADMINISTRATOR) !== true)
  // A key URL may carry credentials in its user information or query; they are not printed.
  const shown = (name: string, value: SettingValue): SettingValue => (name === 'TRUSTED_PROXY_JWKS_URL' && typeof value === 'string' ? loggableUrl(value) : value)
  return Object.fromEntries(Object.entries(proposal.settings).map(([name, value]) => [name, refused ? null : shown(name, value)]))
}

export function enrollOutput(report: EnrollmentReport, proposal: EnrollmentProposal, out: string | null, written: boolean): EnrollOutput {
  return {
    ok: report.ok,
    written,
    out,
    settings: shownSettings(report, proposal),
    keySetUrl: report.keySetUrl === null ? null : loggableUrl(report.keySetUrl),
    keys: report.keys,
    enrolledBy: report.subject !== null && report.issuer !== null ? { subject: report.subject, issuer: report.issuer } : null,
    checks: report.checks,
    decoded: report.decoded,
  }
}

const RESULT_LABEL = { pass: 'PASS', fail: 'FAIL', not_run: 'SKIP' } as const

/** What a person at a terminal reads before confirming: the settings, the keys, the administrator, every check. */
export function enrollSummary(output: EnrollOutput): string {
  // Claims and settings are shown, not trusted to be harmless: a value may carry terminal escape sequences.
  const show = (value: unknown): string => printable(typeof value === 'string' ? value : JSON.stringify(value))
  const lines = ['About to trust:']
  for (const [name, value] of Object.entries(output.settings)) {
    lines.push(`  ${name}=${value === null ? '(not shown: the configuration is refused)' : show(Array.isArray(value) ? value.join(',') : value)}`)
  }
  lines.push(`  key set: ${output.keySetUrl === null ? '-' : show(output.keySetUrl)}`)
  for (const key of output.keys) lines.push(`    ${key.kid === null ? 'no kid' : `kid ${show(key.kid)}`} ${key.kty} ${key.alg ?? '-'} thumbprint ${key.thumbprint}`)
  lines.push(`  administrator: ${output.enrolledBy === null ? '-' : `${show(output.enrolledBy.subject)} (issuer ${show(output.enrolledBy.issuer)})`}`)
  if (output.decoded !== null) {
    const { header, claims } = output.decoded
    lines.push(`  assertion: alg ${show(header['alg'] ?? '-')}, kid ${show(header['kid'] ?? '-')}, iss ${show(claims['iss'] ?? '-')}, aud ${show(claims['aud'] ?? '-')}`)
  }
  lines.push('Checks:')
  for (const check of output.checks) lines.push(`  ${RESULT_LABEL[check.result]} ${check.id}: ${check.title}${check.detail === undefined ? '' : ` (${show(check.detail)})`}`)
  return lines.join('\n') + '\n'
}
