import { Command, CommanderError, Option } from 'commander'
import type { TrustedProxyAuthConfig, TrustedProxyAuthOptions } from '../config.js'
import { loadConfig } from '../config.js'
import { errorEntry, TrustedProxyAuthError } from '../errors.js'
import { createVerifier } from '../verifier.js'
import { argumentErrorMessage } from './argument-errors.js'
import { BatchLineError, parseBatchLine, textLines } from './batch-cases.js'

export interface CliIo {
  env: Record<string, string | undefined>
  stdin: AsyncIterable<string | Uint8Array>
  stdout: (text: string) => void
  stderr: (text: string) => void
}

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
}

const EXIT_OK = 0
const EXIT_REJECTED = 1
const EXIT_USAGE = 2

async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
  return text + decoder.decode()
}

function usageError(message: string): TrustedProxyAuthError {
  return new TrustedProxyAuthError('invalid_config', { problems: [{ variable: 'arguments', message }] })
}

function errorJson(error: TrustedProxyAuthError): string {
  const entry = errorEntry(error.code)
  const body: Record<string, unknown> = { code: error.code, status: entry.status, message: entry.message }
  if (error.detail !== undefined) body['detail'] = error.detail
  if (error.problems) body['problems'] = error.problems
  return JSON.stringify({ ok: false, error: body }) + '\n'
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
  return overrides
}

function nowOf(flags: VerifyFlags): number | undefined {
  if (flags.now === undefined) return undefined
  if (!/^[0-9]+(\.[0-9]+)?$/.test(flags.now)) throw usageError('--now must be a number of seconds since the epoch')
  return Number(flags.now)
}

/**
 * The one verification path of both modes: a fresh verifier for the configuration (no key cache shared
 * between verifications), the target checked, the success line. Rejections throw TrustedProxyAuthError.
 */
async function verifyTarget(config: TrustedProxyAuthConfig, target: VerifyTarget, now: number | undefined): Promise<string> {
  const verifier = createVerifier(config)
  try {
    const identity =
      target.kind === 'request'
        ? await verifier.verifyRequest({ headers: target.headers, remoteAddress: target.remoteAddress }, { now })
        : await verifier.verifyAssertion(target.token ?? '', { now })
    return JSON.stringify({ ok: true, identity }) + '\n'
  } finally {
    verifier.close()
  }
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
  const target = targetOf(tokenArgument, asRequest ? { headers, remoteAddress: flags.remoteAddress } : undefined, FLAG_ERRORS)

  const config = loadConfig(io.env, overrides)
  if (target.kind === 'assertion' && target.token === '-') target.token = (await readAll(io.stdin)).trim()
  io.stdout(await verifyTarget(config, target, now))
  return EXIT_OK
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
      io.stdout(await verifyTarget(config, target, batchCase.now ?? defaultNow))
    } catch (error) {
      const rejection = error instanceof BatchLineError ? usageError(error.message) : error
      if (!(rejection instanceof TrustedProxyAuthError)) throw rejection
      io.stdout(errorJson(rejection))
      exitCode = Math.max(exitCode, exitCodeFor(rejection))
    }
  }
  return exitCode
}

/** The exit code of a rejection: 2 for a configuration or usage error, 1 otherwise. */
function exitCodeFor(error: TrustedProxyAuthError): number {
  return error.code === 'invalid_config' ? EXIT_USAGE : EXIT_REJECTED
}

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
    .addHelpText('after', '\nOutput: one JSON object on stdout.\n  {"ok":true,"identity":{...}}            exit 0\n  {"ok":false,"error":{"code",...}}       exit 1 (rejected)\n  {"ok":false,"error":{"code":"invalid_config","problems":[...]}}  exit 2\n' + BATCH_HELP + '\nExample:\n  TRUSTED_PROXY_JWKS_URL=https://auth.example.com/jwks.json TRUSTED_PROXY_ISSUER=https://auth.example.com \\\n  TRUSTED_PROXY_AUDIENCE=my-app TRUSTED_PROXY_ASSERTION_HEADER=X-Assertion trusted-proxy-auth verify "$TOKEN"')
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
