import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ERROR_CODES, createVerifier, loadConfig, toProblemDetails, TrustedProxyAuthError, type TrustedProxyAuthEvent } from '../src/index.js'
import { runCli } from '../src/cli/run-cli.js'
import { cliArguments, loadVectors, VectorKeyServer, type Vector } from './vector-harness.js'

// No output may contain the token (issue 9, item 7): every argument and configuration error of the CLI, and
// every rejection code (one vector each) through the CLI, the verifier's events, console logs, the problem
// body and the error itself. packages/python/tests/test_no_leak.py runs the same cases through both CLIs and
// requires their answers to be identical.

/** Shorter strings may occur in any output by chance; every segment of a real assertion is longer. */
const MIN_FRAGMENT = 16

function fragments(token: string): string[] {
  const parts = token.split('.')
  return [...new Set([token, parts.slice(0, 2).join('.'), ...parts])].filter((fragment) => fragment.length >= MIN_FRAGMENT)
}

function expectNoFragment(text: string, secrets: readonly string[], where: string): void {
  expect(secrets.filter((secret) => text.includes(secret)).map((secret) => `${secret.slice(0, 12)}...`), where).toEqual([])
}

interface Case {
  name: string
  args: string[]
  env?: Record<string, string>
  stdin?: string
  configFile?: string
}

async function runCaptured(args: readonly string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(args, {
    env,
    stdin: (async function* () {
      yield stdin
    })(),
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  })
  return { code, stdout, stderr }
}

let issuer: RunningTestIssuer
let env: Record<string, string>
let token: string
let secrets: string[]
let scratch: string
const consoleOutput: string[] = []

beforeAll(async () => {
  issuer = await startTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'ann' })
  env = envFor(issuer, { TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion' }) as Record<string, string>
  token = await issuer.sign({ email: 'ann@example.com' }, { issuedAt: 1_700_000_000, expiresIn: 300, now: 1_700_000_000 })
  secrets = fragments(token)
  scratch = mkdtempSync(join(tmpdir(), 'no-leak-'))
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleOutput.push(args.map((arg) => inspect(arg, { depth: 8 })).join(' ')))
  }
})

afterAll(async () => {
  vi.restoreAllMocks()
  rmSync(scratch, { recursive: true, force: true })
  await issuer.close()
})

function argumentCases(t: string): Case[] {
  return [
    { name: 'repeated token', args: ['verify', t, t] },
    { name: 'token after --', args: ['verify', '--', t, t] },
    { name: 'token as a long option', args: ['verify', `--${t}`] },
    { name: 'token as a short option', args: ['verify', `-${t}`] },
    { name: 'unknown option', args: ['verify', t, '--bogus'] },
    { name: 'unknown option with the token as value', args: ['verify', '--bogus', t] },
    { name: 'unknown option before the command', args: [`--${t}`, 'verify'] },
    { name: 'token as the command', args: [t] },
    { name: 'token before the command', args: [t, 'verify'] },
    { name: 'help as a command', args: ['help'] },
    { name: 'token after help', args: ['help', t] },
    { name: 'option without its value', args: ['verify', t, '--issuer'] },
    { name: '--now without its value', args: ['verify', '--now'] },
    { name: 'bad --now', args: ['verify', '--now', t, t] },
    { name: 'bad --now=', args: ['verify', `--now=${t}`, t] },
    { name: 'bad --header', args: ['verify', '--header', t] },
    { name: 'bad --header with an empty name', args: ['verify', '--header', `: ${t}`] },
    { name: 'token and --header', args: ['verify', t, '--header', `X-Assertion: ${t}`] },
    { name: 'token and --remote-address', args: ['verify', '--remote-address', t, t] },
    { name: 'no token', args: ['verify'] },
    { name: 'token from stdin and an extra argument', args: ['verify', '-', t], stdin: t },
  ]
}

function configCases(t: string): Case[] {
  const now = ['--now', '1700000100']
  return [
    { name: 'algorithms flag', args: ['verify', t, ...now, '--algorithms', t] },
    { name: 'algorithms variable', args: ['verify', t, ...now], env: { TRUSTED_PROXY_ALGORITHMS: `HS256,${t}` } },
    { name: 'key set URL', args: ['verify', t, ...now, '--jwks-url', t] },
    { name: 'key set URL with the token in it', args: ['verify', t, ...now, '--jwks-url', `http://example.com/${t}`] },
    { name: 'configuration file path', args: ['verify', t, ...now, '--config-file', `/nonexistent/${t}`] },
    { name: 'trusted addresses', args: ['verify', t, ...now], env: { TRUSTED_PROXY_TRUSTED_ADDRESSES: `10.0.0.1,${t}` } },
    { name: 'preset', args: ['verify', t, ...now], env: { TRUSTED_PROXY_PRESET: t } },
    { name: 'required headers', args: ['verify', t, ...now], env: { TRUSTED_PROXY_REQUIRED_HEADERS: `${t} x=1` } },
    { name: 'required claims', args: ['verify', t, ...now, '--require-claim', `=${t}`] },
    { name: 'whole number', args: ['verify', t, ...now], env: { TRUSTED_PROXY_MAX_AGE: t } },
    { name: 'mode', args: ['verify', t, ...now], env: { TRUSTED_PROXY_MODE: t } },
    { name: 'assertion header', args: ['verify', t, ...now], env: { TRUSTED_PROXY_ASSERTION_HEADER: `${t} x` } },
    { name: 'missing settings', args: ['verify', t, ...now], env: { TRUSTED_PROXY_ISSUER: '' } },
    { name: 'file that is not JSON', args: ['verify', t, ...now], configFile: t },
    { name: 'file setting', args: ['verify', t, ...now], configFile: JSON.stringify({ TRUSTED_PROXY_ALGORITHMS: t }) },
  ]
}

describe('the CLI never echoes the token in an argument or configuration error', () => {
  it('every case answers exit 2 with an invalid_config problem list and no token material', async () => {
    for (const [index, testCase] of [...argumentCases(token), ...configCases(token)].entries()) {
      const caseEnv = { ...env, ...testCase.env }
      if (testCase.configFile !== undefined) {
        const path = join(scratch, `${index}.json`)
        writeFileSync(path, testCase.configFile)
        caseEnv['TRUSTED_PROXY_CONFIG_FILE'] = path
      }
      const { code, stdout, stderr } = await runCaptured(testCase.args, caseEnv, testCase.stdin)
      expectNoFragment(stdout + stderr, secrets, testCase.name)
      expect({ name: testCase.name, code, stderr }).toEqual({ name: testCase.name, code: 2, stderr: '' })
      const printed = JSON.parse(stdout) as { ok: boolean; error: { code: string; problems: unknown[] } }
      expect(printed.ok, testCase.name).toBe(false)
      expect(printed.error.code, testCase.name).toBe('invalid_config')
      expect(printed.error.problems.length, testCase.name).toBeGreaterThan(0)
    }
    expectNoFragment(consoleOutput.join('\n'), secrets, 'console')
  })

  it('argument errors name the kind of mistake without quoting it', async () => {
    const message = async (args: string[]) => (JSON.parse((await runCaptured(args, env)).stdout) as { error: { problems: Array<{ message: string }> } }).error.problems[0]?.message
    expect(await message(['verify', token, token])).toBe('too many arguments: give one TOKEN, or - for standard input')
    expect(await message(['verify', `--${token}`])).toBe('unknown option (see trusted-proxy-auth verify --help)')
    expect(await message([token])).toBe('unknown command (see trusted-proxy-auth --help)')
    expect(await message(['verify', '--now'])).toBe('--now needs a value')
    expect(await message(['verify', token, '--issuer'])).toBe('--issuer needs a value')
  })
})

/** One vector with an assertion for every rejection code the vectors cover (the one with the longest assertion). */
function vectorSecrets(vector: Vector): string[] {
  const tokens = [...(vector.token === undefined ? [] : [vector.token]), ...(vector.request?.headers.map(([, value]) => value) ?? [])]
  return [...new Set(tokens.flatMap((text) => fragments(text.replace(/^Bearer /, ''))))].sort((a, b) => b.length - a.length)
}

const vectorsPerCode = (() => {
  const chosen = new Map<string, Vector>()
  for (const vector of loadVectors()) {
    if (!('error' in vector.expected)) continue
    const found = vectorSecrets(vector)
    if (found.length === 0) continue
    const best = chosen.get(vector.expected.error.code)
    if (!best || found[0]!.length > vectorSecrets(best)[0]!.length) chosen.set(vector.expected.error.code, vector)
  }
  return [...chosen.entries()].sort(([a], [b]) => a.localeCompare(b))
})()

describe('no rejection leaves the token in CLI output, events, logs, the problem or the error', () => {
  const server = new VectorKeyServer(vectorsPerCode.map(([, vector]) => vector))
  beforeAll(() => server.start())
  afterAll(() => server.close())

  // not_enrolled is answered before any assertion is read (contract/enrollment.json), so no vector can carry one.
  it('the vectors reach every rejection code but invalid_config (driven above) and not_enrolled', () => {
    const covered = new Set(vectorsPerCode.map(([code]) => code))
    expect(ERROR_CODES.filter((code) => !covered.has(code)).sort()).toEqual(['invalid_config', 'not_enrolled'])
  })

  it.each(vectorsPerCode)('%s', async (code, vector) => {
    const found = vectorSecrets(vector)
    const vectorEnv = server.envFor(vector)
    consoleOutput.length = 0
    const cli = await runCaptured(cliArguments(vector), vectorEnv)
    expect((JSON.parse(cli.stdout) as { error: { code: string } }).error.code).toBe(code)
    expect(cli.code).toBe(code === 'jwks_unavailable' ? 3 : 1)

    const events: TrustedProxyAuthEvent[] = []
    const verifier = createVerifier(loadConfig(vectorEnv), { onEvent: (event) => void events.push(event) })
    let rejection: unknown
    try {
      if (vector.request) await verifier.verifyRequest({ headers: vector.request.headers, remoteAddress: vector.request.remoteAddress ?? null }, { now: vector.now })
      else await verifier.verifyAssertion(vector.token ?? '', { now: vector.now })
    } catch (error) {
      rejection = error
    } finally {
      verifier.close()
    }
    expect(rejection).toBeInstanceOf(TrustedProxyAuthError)
    const error = rejection as TrustedProxyAuthError
    const problem = toProblemDetails(error)
    console.error('request rejected', error)
    const searched: Record<string, string> = {
      'CLI stdout': cli.stdout,
      'CLI stderr': cli.stderr,
      events: inspect(events, { depth: 8 }),
      'console (with the error, its stack and causes)': consoleOutput.join('\n'),
      'problem body': JSON.stringify(problem),
      error: `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 8 })}`,
    }
    for (const [where, text] of Object.entries(searched)) expectNoFragment(text, found, `${vector.id}: ${where}`)
  })
})
