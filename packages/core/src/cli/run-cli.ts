import { Command, CommanderError, Option } from 'commander'
import type { TrustedProxyAuthOptions } from '../config.js'
import { loadCliConfig } from './cli-config.js'
import { readAll, usageError } from './cli-io.js'
import { TrustedProxyAuthError } from '../errors.js'
import { createVerifier } from '../verifier.js'
import { addDoctorCommand } from './doctor.js'
import { EXIT_OK, EXIT_REJECTED, EXIT_USAGE, errorDetail, errorJson, errorSummary, exitCodeFor, identitySummary } from './output.js'
import { addServeCommand } from './serve.js'
import { cliVersion } from './version.js'

export interface CliIo {
  env: Record<string, string | undefined>
  stdin: AsyncIterable<string | Uint8Array>
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** stdout is a terminal: print a human summary instead of JSON (unless --json). */
  isTerminal?: boolean
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

async function verifyCommand(tokenArgument: string | undefined, flags: VerifyFlags, io: CliIo): Promise<number> {
  let now: number | undefined
  if (flags.now !== undefined) {
    if (!/^[0-9]+(\.[0-9]+)?$/.test(flags.now)) throw usageError('--now must be a number of seconds since the epoch')
    now = Number(flags.now)
  }
  const overrides: TrustedProxyAuthOptions = {}
  if (flags.issuer !== undefined) overrides.issuer = flags.issuer
  if (flags.audience !== undefined) overrides.audience = flags.audience
  if (flags.jwksUrl !== undefined) overrides.jwksUrl = flags.jwksUrl
  if (flags.requireClaim !== undefined) overrides.requiredClaims = flags.requireClaim
  if (flags.algorithms !== undefined) overrides.algorithms = flags.algorithms
  if (flags.configFile !== undefined) overrides.configFile = flags.configFile
  if (flags.preset !== undefined) overrides.preset = flags.preset
  const readStdin = tokenArgument === '-'
  if (flags.tokenEnv !== undefined) {
    // Tokens in argv show up in `ps` and in `set -x` logs; an environment variable does not.
    if (tokenArgument !== undefined) throw usageError('give either a TOKEN or --token-env, not both')
    const fromEnv = io.env[flags.tokenEnv]
    if (fromEnv === undefined || fromEnv.trim() === '') throw usageError(`--token-env: the environment variable ${flags.tokenEnv} is not set or empty`)
    tokenArgument = fromEnv.trim()
  }

  const headers = (flags.header ?? []).map(parseHeaderFlag)
  const asRequest = headers.length > 0 || flags.remoteAddress !== undefined
  if (asRequest && tokenArgument !== undefined) throw usageError('give either a TOKEN or --header/--remote-address, not both')
  if (!asRequest && tokenArgument === undefined) throw usageError('a TOKEN (or - for standard input) is required')

  const asJson = flags.json === true || io.isTerminal !== true
  let config
  try {
    // A bare token is the CI use: keys by discovery when nothing names them. A request (--header) is verified
    // exactly as an application would, so it needs a key source unless --discover asks for discovery.
    const discovery = flags.discover === true ? 'force' : asRequest ? 'off' : 'auto'
    config = loadCliConfig(io.env, overrides, { discovery }, !asRequest)
  } catch (error) {
    if (error instanceof TrustedProxyAuthError && !asJson) {
      io.stdout(errorSummary(error))
      return exitCodeFor(error)
    }
    throw error
  }
  const token = readStdin ? (await readAll(io.stdin)).trim() : tokenArgument
  const verifier = createVerifier(config)
  try {
    const identity = asRequest
      ? await verifier.verifyRequest({ headers, remoteAddress: flags.remoteAddress ?? null }, { now })
      : await verifier.verifyAssertion(token ?? '', { now })
    io.stdout(asJson ? JSON.stringify({ ok: true, identity }) + '\n' : identitySummary(identity))
    return EXIT_OK
  } catch (error) {
    if (!(error instanceof TrustedProxyAuthError)) throw error
    // The key store's last failure names the cause (HTTP status, timeout, issuer) when the error carries none.
    const detail = errorDetail(error, error.code === 'jwks_unavailable' ? verifier.status().lastError : null)
    io.stdout(asJson ? errorJson(error, detail) : errorSummary(error, detail))
    return exitCodeFor(error)
  } finally {
    verifier.close()
  }
}

const VERIFY_HELP = `
Output: one JSON object on stdout when it is not a terminal (or with --json); a summary on a terminal.
  {"ok":true,"identity":{...}}                                     exit 0
  {"ok":false,"error":{"code",...}}                                exit 1 (rejected)
  {"ok":false,"error":{"code":"invalid_config","problems":[...]}}  exit 2 (configuration or usage)
  {"ok":false,"error":{"code":"jwks_unavailable","detail":...}}    exit 3 (keys unavailable; detail gives the cause)
The token is never printed.

Example (CI: the token in an environment variable, keys found by OpenID discovery):
  TRUSTED_PROXY_ISSUER=https://auth.example.com TRUSTED_PROXY_AUDIENCE=my-app \\
  trusted-proxy-auth verify --token-env ID_TOKEN --require-claim repository=acme/app`

/** Runs the `trusted-proxy-auth` command line; returns the exit code. Never prints the token. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK
  const program = new Command('trusted-proxy-auth')
    .description('Verify signed identity assertions forwarded by an identity-aware proxy.\nConfiguration comes from TRUSTED_PROXY_* environment variables; flags override them.')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: () => undefined })
    .showSuggestionAfterError(false)
    .version(`trusted-proxy-auth ${cliVersion()}`, '-V, --version', 'print the version and exit')

  addDoctorCommand(program, io, (code) => {
    exitCode = code
  })
  addServeCommand(program, io, (code) => {
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
    .option('--preset <name>', 'proxy preset (TRUSTED_PROXY_PRESET)')
    .option('--discover', 'find the key set by OpenID discovery from the issuer (for a bare token also the default when neither a key URL nor a preset is set and the issuer is https)')
    .option('--token-env <name>', 'read the token from this environment variable (tokens in arguments show up in ps)')
    .option('--json', 'print JSON even on a terminal (JSON is the default when the output is not a terminal)')
    .addHelpText('after', VERIFY_HELP)
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
      io.stdout(errorJson(usageError(error.message.replace(/^error: /, ''))))
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
