import { Command, CommanderError, Option } from 'commander'
import type { TrustedProxyAuthOptions } from '../config.js'
import { loadConfig } from '../config.js'
import { errorEntry, TrustedProxyAuthError } from '../errors.js'
import { createVerifier } from '../verifier.js'

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
  // Checked against the allow-list by loadConfig, like the environment variable.
  if (flags.algorithms !== undefined) overrides.algorithms = flags.algorithms as TrustedProxyAuthOptions['algorithms']
  if (flags.configFile !== undefined) overrides.configFile = flags.configFile

  const headers = (flags.header ?? []).map(parseHeaderFlag)
  const asRequest = headers.length > 0 || flags.remoteAddress !== undefined
  if (asRequest && tokenArgument !== undefined) throw usageError('give either a TOKEN or --header/--remote-address, not both')
  if (!asRequest && tokenArgument === undefined) throw usageError('a TOKEN (or - for standard input) is required')

  const config = loadConfig(io.env, overrides)
  const token = tokenArgument === '-' ? (await readAll(io.stdin)).trim() : tokenArgument
  const verifier = createVerifier(config)
  try {
    const identity = asRequest
      ? await verifier.verifyRequest({ headers, remoteAddress: flags.remoteAddress ?? null }, { now })
      : await verifier.verifyAssertion(token ?? '', { now })
    io.stdout(JSON.stringify({ ok: true, identity }) + '\n')
    return EXIT_OK
  } finally {
    verifier.close()
  }
}

/** Runs the `trusted-proxy-auth` command line; returns the exit code. Never prints the token. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK
  const program = new Command('trusted-proxy-auth')
    .description('Verify signed identity assertions forwarded by an identity-aware proxy.\nConfiguration comes from TRUSTED_PROXY_* environment variables; flags override them.')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: () => undefined })
    .showSuggestionAfterError(false)

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
    .addHelpText('after', '\nOutput: one JSON object on stdout.\n  {"ok":true,"identity":{...}}            exit 0\n  {"ok":false,"error":{"code",...}}       exit 1 (rejected)\n  {"ok":false,"error":{"code":"invalid_config","problems":[...]}}  exit 2\n\nExample:\n  TRUSTED_PROXY_JWKS_URL=https://auth.example.com/jwks.json TRUSTED_PROXY_ISSUER=https://auth.example.com \\\n  TRUSTED_PROXY_AUDIENCE=my-app TRUSTED_PROXY_ASSERTION_HEADER=X-Assertion trusted-proxy-auth verify "$TOKEN"')
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
      return error.code === 'invalid_config' ? EXIT_USAGE : EXIT_REJECTED
    }
    io.stderr('unexpected failure\n')
    return EXIT_REJECTED
  }
}
