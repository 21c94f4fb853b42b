import type { Command } from 'commander'
import type { TrustedProxyAuthConfig, TrustedProxyAuthOptions } from '../config.js'
import { loadConfig } from '../config.js'
import { TrustedProxyAuthError } from '../errors.js'
import { readAll, usageError } from './cli-io.js'
import { EXIT_OK, EXIT_REJECTED } from './output.js'
import type { CliIo } from './cli-io.js'

interface DoctorFlags {
  json?: boolean
  assertion?: string
  preset?: string
  configFile?: string
  discover?: boolean
  live?: boolean
  now?: string
}

/** `trusted-proxy-auth doctor`: audits the effective configuration (contract/doctor.json); exit 1 on any critical finding. */
export function addDoctorCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('doctor')
    .description('audit the effective configuration (environment, config file, preset) and its key endpoint')
    .option('--json', 'print the report as JSON (the default when the output is not a terminal)')
    .option('--assertion <source>', 'verify a captured assertion read from standard input (-) and show its claims, never the assertion')
    .option('--preset <name>', 'proxy preset (TRUSTED_PROXY_PRESET)')
    .option('--config-file <path>', 'JSON settings file (TRUSTED_PROXY_CONFIG_FILE)')
    .option('--discover', 'find the key set by OpenID discovery from the issuer')
    .option('--no-live', 'skip the checks that contact the key endpoint')
    .option('--now <seconds>', 'current time as Unix seconds for --assertion (default: the system clock)')
    .addHelpText('after', '\nFindings have a stable id and a severity (critical, warning, info); see contract/doctor.json.\nExit 0: no critical finding; 1: at least one critical finding; 2: usage error.')
    .action(async (flags: DoctorFlags) => {
      if (flags.assertion !== undefined && flags.assertion !== '-') throw usageError('--assertion takes - (read the assertion from standard input)')
      if (flags.now !== undefined && !/^[0-9]+(\.[0-9]+)?$/.test(flags.now)) throw usageError('--now must be a number of seconds since the epoch')
      const overrides: TrustedProxyAuthOptions = {}
      if (flags.preset !== undefined) overrides.preset = flags.preset as TrustedProxyAuthOptions['preset'] // loadConfig checks the name
      if (flags.configFile !== undefined) overrides.configFile = flags.configFile
      let config: TrustedProxyAuthConfig | TrustedProxyAuthError
      try {
        config = loadConfig(io.env, overrides, { discovery: flags.discover === true ? 'force' : 'off' })
      } catch (error) {
        if (!(error instanceof TrustedProxyAuthError)) throw error
        config = error
      }
      const assertion = flags.assertion === '-' ? (await readAll(io.stdin)).trim() : undefined
      // Loaded on use, so `verify` (the common command) does not parse the audit's code.
      const { formatDoctorReport, runDoctor } = await import('../doctor/report.js')
      const report = await runDoctor({
        config,
        live: flags.live !== false,
        ...(assertion !== undefined ? { assertion } : {}),
        ...(flags.now !== undefined ? { now: Number(flags.now) } : {}),
      })
      io.stdout(flags.json === true || io.isTerminal !== true ? JSON.stringify(report) + '\n' : formatDoctorReport(report))
      setExitCode(report.ok ? EXIT_OK : EXIT_REJECTED)
    })
}
