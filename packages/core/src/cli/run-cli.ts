import { Command, CommanderError, Option } from 'commander'
import type { LoadConfigBehaviour, TrustedProxyAuthConfig, TrustedProxyAuthOptions } from '../config.js'
import { loadConfig } from '../config.js'
import { TrustedProxyAuthError } from '../errors.js'
import type { TrustedIdentity } from '../identity.js'
import { createVerifier } from '../verifier.js'
import { argumentErrorMessage } from './argument-errors.js'
import { BatchLineError, parseBatchLine, textLines } from './batch-cases.js'
import { loadCliConfig } from './cli-config.js'
import { readAll, usageError, type CliIo } from './cli-io.js'
import { addDoctorCommand } from './doctor.js'
import { addEnrollCommand } from './enroll.js'
import { EXIT_OK, EXIT_REJECTED, EXIT_USAGE, errorDetail, errorJson, errorSummary, exitCodeFor, identitySummary } from './output.js'
import { addServeCommand } from './serve.js'
import { cliVersion } from './version.js'

export type { CliIo } from './cli-io.js'

interface VerifyFlags {
  now?: string
  issuer?: string
  audience?: string
  jwksUrl?: string
  requireClaim?: string[]
  header?: string[]
  remoteAddress?: string
  algorithms?: string
  configFile?: string
  batch?: boolean
  preset?: string
  discover?: boolean
  tokenEnv?: string
  json?: boolean
}

function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(':')
  if (colon <= 0) throw usageError(`--header must look like "Name: value"`)
  return [text.slice(0, colon).trim(), text.slice(colon + 1).replace(/^[ \t]+/, '')]
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** What one verification checks: an assertion, or a whole request. */
type VerifyTarget = { kind: 'assertion'; token: string | undefined } | { kind: 'request'; headers: Array<[string, string]>; remoteAddress: string | null }

/** The usage errors of a target: the command line's, or a batch line's (which name the line). */
interface TargetErrors {
  both: string
  missing: string
}

const FLAG_ERRORS: TargetErrors = { both: 'give either a TOKEN or --header/--remote-address, not both', missing: 'a TOKEN (or - for standard input) is required' }

function batchErrors(lineNumber: number): TargetErrors {
  const where = `line ${lineNumber} of standard input`
  return { both: `${where}: give either "token" or "headers"/"remoteAddress", not both`, missing: `${where}: "token" or "headers"/"remoteAddress" is required` }
}

function targetOf(token: string | undefined, request: { headers: Array<[string, string]>; remoteAddress: string | null | undefined } | undefined, errors: TargetErrors): VerifyTarget {
  if (request && token !== undefined) throw usageError(errors.both)
  if (request) return { kind: 'request', headers: request.headers, remoteAddress: request.remoteAddress ?? null }
  if (token === undefined) throw usageError(errors.missing)
  return { kind: 'assertion', token }
}

function overridesOf(flags: VerifyFlags): TrustedProxyAuthOptions {
  const overrides: TrustedProxyAuthOptions = {}
  if (flags.issuer !== undefined) overrides.issuer = flags.issuer
  if (flags.audience !== undefined) overrides.audience = flags.audience
  if (flags.jwksUrl !== undefined) overrides.jwksUrl = flags.jwksUrl
  if (flags.requireClaim !== undefined) overrides.requiredClaims = flags.requireClaim
  // Checked against the allow-list by loadConfig, like the environment variable.
  if (flags.algorithms !== undefined) overrides.algorithms = flags.algorithms as TrustedProxyAuthOptions['algorithms']
  if (flags.configFile !== undefined) overrides.configFile = flags.configFile
  // Checked against the preset names by loadConfig, like the environment variable.
  if (flags.preset !== undefined) overrides.preset = flags.preset as TrustedProxyAuthOptions['preset']
  return overrides
}

function nowOf(flags: VerifyFlags): number | undefined {
  if (flags.now === undefined) return undefined
  if (!/^[0-9]+(\.[0-9]+)?$/.test(flags.now)) throw usageError('--now must be a number of seconds since the epoch')
  return Number(flags.now)
}

/** A rejection with the cause of a key failure: the error's own `detail`, else the key store's last failure. */
class VerifyRejection extends Error {
  constructor(
    readonly error: TrustedProxyAuthError,
    readonly detail: string | null,
  ) {
    super(error.message)
  }
}

/**
 * The one verification path of both modes: a fresh verifier for the configuration (no key cache shared
 * between verifications), the target checked. Rejections throw VerifyRejection.
 */
async function verifyTarget(config: TrustedProxyAuthConfig, target: VerifyTarget, now: number | undefined): Promise<TrustedIdentity | null> {
  const verifier = createVerifier(config)
  try {
    return target.kind === 'request'
      ? await verifier.verifyRequest({ headers: target.headers, remoteAddress: target.remoteAddress }, { now })
      : await verifier.verifyAssertion(target.token ?? '', { now })
  } catch (error) {
    if (!(error instanceof TrustedProxyAuthError)) throw error
    // The key store's last failure names the cause (HTTP status, timeout, issuer) when the error carries none.
    throw new VerifyRejection(error, errorDetail(error, error.code === 'jwks_unavailable' ? verifier.status().lastError : null))
  } finally {
    verifier.close()
  }
}

/**
 * The key source a target loads with: a bare token is the CI use, so keys are found by discovery when nothing
 * names them; a request (--header) is loaded exactly as an application loads it, unless --discover asks.
 */
function discoveryFor(flags: VerifyFlags, target: VerifyTarget): LoadConfigBehaviour {
  return { discovery: flags.discover === true ? 'force' : target.kind === 'request' ? 'off' : 'auto' }
}

/** `--token-env NAME`: the token from the environment (a token in argv shows up in `ps` and `set -x` logs). */
function tokenFromEnv(flags: VerifyFlags, tokenArgument: string | undefined, io: CliIo): string | undefined {
  if (flags.tokenEnv === undefined) return tokenArgument
  if (tokenArgument !== undefined) throw usageError('give either a TOKEN or --token-env, not both')
  const fromEnv = io.env[flags.tokenEnv]
  if (fromEnv === undefined || fromEnv.trim() === '') throw usageError('--token-env names an environment variable that is not set or empty')
  return fromEnv.trim()
}

async function verifyCommand(tokenArgument: string | undefined, flags: VerifyFlags, io: CliIo): Promise<number> {
  const now = nowOf(flags)
  const overrides = overridesOf(flags)
  const headers = (flags.header ?? []).map(parseHeaderFlag)
  const asRequest = headers.length > 0 || flags.remoteAddress !== undefined
  if (flags.batch) {
    if (asRequest || tokenArgument !== undefined) throw usageError('--batch reads every case from standard input: give no TOKEN, --header or --remote-address')
    return verifyBatch(io, overrides, now)
  }
  const readStdin = tokenArgument === '-' && flags.tokenEnv === undefined
  const target = targetOf(tokenFromEnv(flags, tokenArgument, io), asRequest ? { headers, remoteAddress: flags.remoteAddress } : undefined, FLAG_ERRORS)
  const asJson = flags.json === true || io.isTerminal !== true
  try {
    const config = loadCliConfig(io.env, overrides, discoveryFor(flags, target), target.kind === 'assertion')
    if (target.kind === 'assertion' && readStdin) target.token = (await readAll(io.stdin)).trim()
    const identity = await verifyTarget(config, target, now)
    io.stdout(asJson ? JSON.stringify({ ok: true, identity }) + '\n' : identitySummary(identity))
    return EXIT_OK
  } catch (error) {
    const rejection = error instanceof VerifyRejection ? error : error instanceof TrustedProxyAuthError ? new VerifyRejection(error, errorDetail(error)) : null
    if (rejection === null) throw error
    io.stdout(asJson ? errorJson(rejection.error, rejection.detail) : errorSummary(rejection.error, rejection.detail))
    return exitCodeFor(rejection.error)
  }
}

/**
 * `verify --batch`: every non-blank line of standard input is one case (see batch-cases.ts), answered by one
 * line on stdout with the same JSON as a single `verify`, in input order. Each case gets its own configuration
 * (`env` over the process environment, then the flags) and its own verifier. The exit code is the highest a
 * single `verify` would have returned for any case (0 when every case verified).
 */
async function verifyBatch(io: CliIo, overrides: TrustedProxyAuthOptions, defaultNow: number | undefined): Promise<number> {
  let exitCode = EXIT_OK
  let lineNumber = 0
  for await (const line of textLines(io.stdin)) {
    lineNumber++
    if (line.trim() === '') continue
    try {
      const batchCase = parseBatchLine(line, lineNumber)
      const isRequest = batchCase.headers !== undefined || batchCase.remoteAddress !== undefined
      const target = targetOf(batchCase.token, isRequest ? { headers: batchCase.headers ?? [], remoteAddress: batchCase.remoteAddress } : undefined, batchErrors(lineNumber))
      const config = loadConfig({ ...io.env, ...batchCase.env }, overrides)
      io.stdout(JSON.stringify({ ok: true, identity: await verifyTarget(config, target, batchCase.now ?? defaultNow) }) + '\n')
    } catch (error) {
      const rejection = error instanceof BatchLineError ? usageError(error.message) : error instanceof VerifyRejection ? error.error : error
      if (!(rejection instanceof TrustedProxyAuthError)) throw rejection
      io.stdout(errorJson(rejection, error instanceof VerifyRejection ? error.detail : undefined))
      exitCode = Math.max(exitCode, exitCodeFor(rejection))
    }
  }
  return exitCode
}


const VERIFY_HELP = `
Output: one JSON object on stdout when it is not a terminal (or with --json); a summary on a terminal.
  {"ok":true,"identity":{...}}                                     exit 0
  {"ok":false,"error":{"code",...}}                                exit 1 (rejected)
  {"ok":false,"error":{"code":"invalid_config","problems":[...]}}  exit 2 (configuration or usage)
  {"ok":false,"error":{"code":"jwks_unavailable","detail":...}}    exit 3 (keys unavailable; detail gives the cause)
The token is never printed.
`

const VERIFY_EXAMPLE = `
Example (CI: the token in an environment variable, keys found by OpenID discovery):
  TRUSTED_PROXY_ISSUER=https://auth.example.com TRUSTED_PROXY_AUDIENCE=my-app \\
  trusted-proxy-auth verify --token-env ID_TOKEN --require-claim repository=acme/app`

const BATCH_HELP = `
Batch (--batch): one JSON object per line of standard input, members all optional:
  {"token":"...", "now":1700000000, "env":{"TRUSTED_PROXY_ISSUER":"..."}}
  {"headers":[["X-Assertion","..."]], "remoteAddress":"10.0.0.5", "env":{...}}
"env" is laid over the environment for that line; flags apply to every line. Each line gets one output
line, in order, with the JSON above; the exit code is the highest of the lines (0 when all verified).
`

/** Runs the `trusted-proxy-auth` command line; returns the exit code. Never prints the token. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK
  const program = new Command('trusted-proxy-auth')
    .description('Verify signed identity assertions forwarded by an identity-aware proxy.\nConfiguration comes from TRUSTED_PROXY_* environment variables; flags override them.')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: () => undefined })
    .showSuggestionAfterError(false)
    // No implicit `help` command: the Python CLI has none, and both must answer every argument alike.
    .helpCommand(false)
    .version(`trusted-proxy-auth ${cliVersion()}`, '-V, --version', 'print the version and exit')

  addDoctorCommand(program, io, (code) => {
    exitCode = code
  })
  addServeCommand(program, io, (code) => {
    exitCode = code
  })
  addEnrollCommand(program, io, (code) => {
    exitCode = code
  })

  program
    .command('verify')
    .description('verify one assertion (TOKEN, or - to read it from standard input) or a whole request (--header)')
    .argument('[token]', 'the assertion, or - for standard input')
    .option('--now <seconds>', 'current time as Unix seconds (default: the system clock)')
    .option('--issuer <list>', 'accepted issuers, comma-separated (TRUSTED_PROXY_ISSUER)')
    .option('--audience <list>', 'accepted audiences, comma-separated (TRUSTED_PROXY_AUDIENCE)')
    .option('--jwks-url <url>', 'key set URL (TRUSTED_PROXY_JWKS_URL)')
    .option('--algorithms <list>', 'accepted algorithms (TRUSTED_PROXY_ALGORITHMS)')
    .option('--require-claim <rule>', 'claim rule name or name=value, repeatable (TRUSTED_PROXY_REQUIRED_CLAIMS)', collect)
    .addOption(new Option('--header <header>', 'request header "Name: value", repeatable; verifies a request').argParser(collect))
    .option('--remote-address <ip>', 'socket peer address of the request')
    .option('--config-file <path>', 'JSON settings file (TRUSTED_PROXY_CONFIG_FILE)')
    .option('--batch', 'verify many cases: JSON Lines on standard input, one result line each (see below)')
    .option('--preset <name>', 'proxy preset (TRUSTED_PROXY_PRESET)')
    .option('--discover', 'find the key set by OpenID discovery from the issuer (for a bare token also the default when neither a key URL nor a preset is set and the issuer is https)')
    .option('--token-env <name>', 'read the token from this environment variable (tokens in arguments show up in ps)')
    .option('--json', 'print JSON even on a terminal (JSON is the default when the output is not a terminal)')
    .addHelpText('after', VERIFY_HELP + BATCH_HELP + VERIFY_EXAMPLE)
    .action(async (token: string | undefined, flags: VerifyFlags) => {
      exitCode = await verifyCommand(token, flags, io)
    })

  try {
    if (argv.length === 0) {
      io.stdout(program.helpInformation())
      return EXIT_USAGE
    }
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return EXIT_OK
      const knownFlags = program.commands.flatMap((command) => command.options.flatMap((option) => (option.long ? [option.long] : [])))
      io.stdout(errorJson(usageError(argumentErrorMessage(error, knownFlags))))
      return EXIT_USAGE
    }
    if (error instanceof TrustedProxyAuthError) {
      io.stdout(errorJson(error))
      return exitCodeFor(error)
    }
    io.stderr('unexpected failure\n')
    return EXIT_REJECTED
  }
}
