import type { Command } from 'commander'
import { TrustedProxyAuthError } from '../errors.js'
import { checkEnrollment } from '../enrollment/check-enrollment.js'
import { enrollmentRecord } from '../enrollment/enrollment-record.js'
import type { EnrollmentProposal, EnrollmentReport } from '../enrollment/enrollment-types.js'
import { proposeSettings } from '../enrollment/propose-settings.js'
import { writeEnrollmentRecord } from '../enrollment/record-file.js'
import { readAll, usageError } from './cli-io.js'
import { enrollOutput, enrollSummary } from './enroll-output.js'
import { EXIT_KEYS_UNAVAILABLE, EXIT_OK, EXIT_REJECTED, EXIT_USAGE } from './output.js'
import type { CliIo } from './cli-io.js'

interface EnrollFlags {
  preset?: string
  issuer?: string
  audience?: string
  jwksUrl?: string
  discovery?: boolean
  assertionHeader?: string
  assertion?: string
  assertionEnv?: string
  out?: string
  yes?: boolean
  json?: boolean
  now?: string
}

const ENROLL_HELP = `
Checks (contract/enrollment.json, in order, each reported): key_url_secure, keys_reachable, keys_usable,
no_embedded_keys, assertion_signature, issuer, audience, fresh, configuration_valid. The record is written
(atomically, mode 0600) only when every check passes, and only with --yes or after answering "y" at a terminal.
Settings: TRUSTED_PROXY_* environment variables, then the flags over them (or a preset's defaults); never read
from the challenge assertion, which only has to match them.
Exit codes: 0 written; 1 a check failed (or the answer was no); 2 usage or configuration error (a setting the
runtime refuses, no --out, no --yes without a terminal); 3 the key set is unavailable.
The assertion is never printed.

Example:
  trusted-proxy-auth enroll --issuer https://auth.example.com --audience my-app --jwks-url https://auth.example.com/jwks.json \\
    --assertion-header X-Assertion --assertion - --out /var/lib/app/enrollment.json --yes < assertion.txt`

/** The TRUSTED_PROXY_* settings the flags decide, over those of the environment. */
function decidedSettings(flags: EnrollFlags, env: Record<string, string | undefined>): Record<string, string | undefined> {
  const decided: Record<string, string | undefined> = {}
  for (const [name, value] of Object.entries(env)) if (name.startsWith('TRUSTED_PROXY_')) decided[name] = value
  const fromFlags: Array<[string, string | undefined]> = [
    ['TRUSTED_PROXY_ISSUER', flags.issuer],
    ['TRUSTED_PROXY_AUDIENCE', flags.audience],
    ['TRUSTED_PROXY_JWKS_URL', flags.jwksUrl],
    ['TRUSTED_PROXY_ASSERTION_HEADER', flags.assertionHeader],
  ]
  for (const [name, value] of fromFlags) if (value !== undefined) decided[name] = value
  return decided
}

/** The challenge assertion: `--assertion -` (standard input) or `--assertion-env NAME`, exactly one; never echoed. */
async function challengeAssertion(flags: EnrollFlags, io: CliIo): Promise<string> {
  if (flags.assertion !== undefined && flags.assertionEnv !== undefined) throw usageError('give either --assertion - or --assertion-env, not both')
  if (flags.assertion !== undefined) {
    if (flags.assertion !== '-') throw usageError('--assertion takes - (read the assertion from standard input)')
    const read = (await readAll(io.stdin)).trim()
    if (read === '') throw usageError('standard input held no assertion')
    return read
  }
  if (flags.assertionEnv !== undefined) {
    const value = io.env[flags.assertionEnv]
    if (value === undefined || value.trim() === '') throw usageError('the variable --assertion-env names is not set or empty')
    return value.trim()
  }
  throw usageError('a challenge assertion is required: --assertion - or --assertion-env NAME')
}

/** The exit code of a report that did not pass: keys unavailable, a configuration the runtime refuses, else a failed check. */
function failedExitCode(report: EnrollmentReport): number {
  const failed = (id: string): boolean => report.checks.some((check) => check.id === id && check.result === 'fail')
  if (failed('keys_reachable')) return EXIT_KEYS_UNAVAILABLE
  if (failed('configuration_valid')) return EXIT_USAGE
  return EXIT_REJECTED
}

async function runEnroll(flags: EnrollFlags, io: CliIo): Promise<number> {
  if (flags.now !== undefined && !/^[0-9]+(\.[0-9]+)?$/.test(flags.now)) throw usageError('--now must be a number of seconds since the epoch')
  if (flags.discovery === true && flags.jwksUrl !== undefined) throw usageError('give either --jwks-url or --discovery, not both')
  const out = flags.out ?? io.env['TRUSTED_PROXY_ENROLLMENT_FILE']
  if (out === undefined || out.trim() === '') throw usageError('--out PATH is required (or TRUSTED_PROXY_ENROLLMENT_FILE)')
  const assertion = await challengeAssertion(flags, io)
  const nowMs = flags.now === undefined ? undefined : Number(flags.now) * 1000

  const proposal: EnrollmentProposal = await proposeSettings({
    assertion,
    ...(flags.preset !== undefined ? { preset: flags.preset } : {}),
    discovery: flags.discovery === true,
    env: decidedSettings(flags, io.env),
    // Unattended (--yes): a token must never vouch for itself, so the issuer and audience are never read from it.
    fromAssertion: false,
  })
  // The shared secret (preset authentik) is never stored in a record, but the runtime has it from its environment.
  const secret = io.env['TRUSTED_PROXY_SHARED_SECRET']
  const report = await checkEnrollment(proposal, assertion, {
    ...(secret === undefined ? {} : { env: { TRUSTED_PROXY_SHARED_SECRET: secret } }),
    ...(nowMs === undefined ? {} : { now: () => nowMs }),
  })
  const json = flags.json === true || io.isTerminal !== true
  const print = (written: boolean): void => {
    const output = enrollOutput(report, proposal, out, written)
    io.stdout(json ? JSON.stringify(output) + '\n' : enrollSummary(output))
  }
  if (!report.ok) {
    print(false)
    return failedExitCode(report)
  }
  if (flags.yes !== true) {
    if (io.confirm === undefined) {
      print(false)
      io.stderr('not written: standard input is not a terminal, so confirm with --yes\n')
      return EXIT_USAGE
    }
    if (!json) io.stdout(enrollSummary(enrollOutput(report, proposal, out, false)))
    if (!(await io.confirm(`Write the enrollment record to ${out}? [y/N] `))) {
      if (json) print(false)
      io.stderr('not written\n')
      return EXIT_REJECTED
    }
    await writeRecord(out, report, proposal)
    if (json) print(true)
    else io.stdout(`written: ${out}\n`)
    return EXIT_OK
  }
  await writeRecord(out, report, proposal)
  print(true)
  return EXIT_OK
}

async function writeRecord(out: string, report: EnrollmentReport, proposal: EnrollmentProposal): Promise<void> {
  try {
    await writeEnrollmentRecord(out, enrollmentRecord(report, proposal, 'cli'))
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) throw error
    const code = (error as { code?: unknown } | null)?.code
    throw new TrustedProxyAuthError('invalid_config', {
      problems: [{ variable: '--out', message: `cannot be written${typeof code === 'string' && /^E[A-Z]+$/.test(code) ? ` (${code})` : ''}` }],
    })
  }
}

/** `trusted-proxy-auth enroll`: checks a proposed configuration against a challenge assertion and writes the enrollment record. */
export function addEnrollCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('enroll')
    .description('check a proxy configuration against a challenge assertion that came through the proxy, then write the enrollment record')
    .option('--preset <name>', 'proxy preset (TRUSTED_PROXY_PRESET)')
    .option('--issuer <list>', 'issuer to trust (TRUSTED_PROXY_ISSUER)')
    .option('--audience <list>', 'audience to accept (TRUSTED_PROXY_AUDIENCE)')
    .option('--jwks-url <url>', 'key set URL (TRUSTED_PROXY_JWKS_URL)')
    .option('--discovery', 'find the key set URL by OpenID discovery from the issuer, once, and record it')
    .option('--assertion-header <name>', 'request header that carries the assertion (TRUSTED_PROXY_ASSERTION_HEADER)')
    .option('--assertion <source>', 'read the challenge assertion from standard input (-)')
    .option('--assertion-env <name>', 'read the challenge assertion from this environment variable')
    .option('--out <path>', 'where to write the record (default: TRUSTED_PROXY_ENROLLMENT_FILE)')
    .option('--yes', 'write without asking (scripts)')
    .option('--json', 'print JSON even on a terminal (JSON is the default when the output is not a terminal)')
    .option('--now <seconds>', 'current time as Unix seconds (default: the system clock)')
    .addHelpText('after', ENROLL_HELP)
    .action(async (flags: EnrollFlags) => {
      setExitCode(await runEnroll(flags, io))
    })
}
