import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, type CliIo } from '../src/cli/run-cli.js'
import { ENROLLMENT_CONTRACT, loadConfig, readEnrollmentRecord } from '../src/index.js'

const T0 = 1_700_000_000
const NOW = ['--now', String(T0 + 10)]

interface Run {
  code: number
  stdout: string
  stderr: string
  questions: string[]
}

/** Every output of every run, to prove afterwards that none holds the assertion. */
const everyOutput: string[] = []

async function enroll(args: string[], options: { env?: Record<string, string>; stdin?: string; terminal?: boolean; answer?: boolean } = {}): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const questions: string[] = []
  const io: CliIo = {
    env: options.env ?? {},
    stdin: (async function* () {
      if (options.stdin !== undefined) yield options.stdin
    })(),
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    isTerminal: options.terminal ?? false,
    ...(options.answer === undefined ? {} : { confirm: async (question: string) => (questions.push(question), options.answer!) }),
  }
  const code = await runCli(['enroll', ...args], io)
  everyOutput.push(stdout, stderr, ...questions)
  return { code, stdout, stderr, questions }
}

let issuer: RunningTestIssuer
let scratch: string
let token: string
let counter = 0
const outPath = (): string => join(scratch, `record-${++counter}.json`)
const base = (): string[] => ['--issuer', 'https://proxy.example', '--audience', 'app', '--jwks-url', issuer.jwksUrl, '--assertion-header', 'X-Assertion', '--assertion', '-', ...NOW]

beforeAll(async () => {
  issuer = await startTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'ann' })
  token = await issuer.sign({ email: 'ann@example.com' }, { now: T0, expiresIn: 300 })
  scratch = mkdtempSync(join(tmpdir(), 'tpa-cli-enroll-'))
})

afterAll(async () => {
  await issuer.close()
  rmSync(scratch, { recursive: true, force: true })
})

describe('trusted-proxy-auth enroll', () => {
  it('exit 0: checks, prints the JSON report and writes the record (0600) with --yes', async () => {
    const out = outPath()
    const run = await enroll([...base(), '--out', out, '--yes'], { stdin: token })
    expect(run.code).toBe(0)
    const printed = JSON.parse(run.stdout) as Record<string, unknown>
    expect(Object.keys(printed)).toEqual(['ok', 'written', 'out', 'settings', 'keySetUrl', 'keys', 'enrolledBy', 'checks', 'decoded'])
    expect(printed).toMatchObject({
      ok: true,
      written: true,
      out,
      settings: { TRUSTED_PROXY_ISSUER: 'https://proxy.example', TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl, TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion' },
      keySetUrl: issuer.jwksUrl,
      enrolledBy: { subject: 'ann', issuer: 'https://proxy.example' },
    })
    expect((printed['checks'] as Array<{ id: string; result: string }>).map((check) => [check.id, check.result])).toEqual(ENROLLMENT_CONTRACT.checks.map((check) => [check.id, 'pass']))
    expect(statSync(out).mode & 0o777).toBe(0o600)
    expect(readEnrollmentRecord(out)?.enrolledBy).toEqual({ subject: 'ann', issuer: 'https://proxy.example', method: 'cli' })
    expect(loadConfig({ TRUSTED_PROXY_ENROLLMENT_FILE: out })).toMatchObject({ issuer: ['https://proxy.example'], jwksUrl: issuer.jwksUrl })
  })

  it('takes settings from TRUSTED_PROXY_* variables, flags over them, the assertion from --assertion-env, --out from TRUSTED_PROXY_ENROLLMENT_FILE', async () => {
    const out = outPath()
    const env = { CHALLENGE: token, TRUSTED_PROXY_ENROLLMENT_FILE: out, TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl, TRUSTED_PROXY_ASSERTION_HEADER: 'X-From-Env', TRUSTED_PROXY_AUDIENCE: 'app' }
    const run = await enroll(['--assertion-env', 'CHALLENGE', '--assertion-header', 'X-Flag', '--issuer', 'https://proxy.example', '--yes', ...NOW], { env })
    expect(run.code).toBe(0)
    expect(readEnrollmentRecord(out)?.settings).toEqual({ TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl, TRUSTED_PROXY_ASSERTION_HEADER: 'X-Flag', TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_ISSUER: 'https://proxy.example' })
  })

  it('never takes the issuer or audience from the assertion (a token must not vouch for itself): exit 2', async () => {
    const out = outPath()
    const run = await enroll(['--jwks-url', issuer.jwksUrl, '--assertion-header', 'X-Assertion', '--assertion', '-', ...NOW, '--out', out, '--yes'], { stdin: token })
    expect(run.code).toBe(2)
    const printed = JSON.parse(run.stdout) as { checks: Array<{ id: string; result: string; detail?: string }>; settings: Record<string, unknown> }
    expect(Object.keys(printed.settings)).toEqual(['TRUSTED_PROXY_JWKS_URL', 'TRUSTED_PROXY_ASSERTION_HEADER'])
    expect(printed.checks.find((check) => check.id === 'configuration_valid')?.detail).toContain('TRUSTED_PROXY_ISSUER is required')
    expect(existsSync(out)).toBe(false)
  })

  it('checks a shared-secret preset (authentik) with the secret from the environment, which the record never holds', async () => {
    const secret = 'test-only-authentik-secret-for-unit-tests-0123456789'
    const hs256 = await new SignJWT({ sub: 'ann' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('https://auth.example/application/o/app/')
      .setAudience('client-id')
      .setIssuedAt(T0)
      .setExpirationTime(T0 + 300)
      .sign(new TextEncoder().encode(secret))
    const out = outPath()
    const env = { TRUSTED_PROXY_SHARED_SECRET: secret, CHALLENGE: hs256 }
    const run = await enroll(['--preset', 'authentik', '--issuer', 'https://auth.example/application/o/app/', '--audience', 'client-id', '--assertion-env', 'CHALLENGE', ...NOW, '--out', out, '--yes'], { env })
    expect(run.code).toBe(0)
    expect(run.stdout).not.toContain(secret)
    expect(readFileSync(out, 'utf8')).not.toContain(secret)
    expect(loadConfig({ TRUSTED_PROXY_ENROLLMENT_FILE: out, TRUSTED_PROXY_SHARED_SECRET: secret })).toMatchObject({ preset: 'authentik', assertionHeader: 'X-authentik-jwt' })
  })

  it('does not print credentials a key URL carries (user information, query)', async () => {
    const withQuery = `${issuer.jwksUrl}?token=query-secret-5678`
    const run = await enroll([...base(), '--jwks-url', withQuery, '--out', outPath(), '--yes'], { stdin: token })
    expect(run.code).toBe(0)
    expect(run.stdout).not.toContain('query-secret-5678')
    expect((JSON.parse(run.stdout) as { keySetUrl: string }).keySetUrl).toBe(issuer.jwksUrl)
    // Fetch refuses user information in a URL (keys unavailable), and it is not printed either.
    const withUser = await enroll([...base(), '--jwks-url', issuer.jwksUrl.replace('http://', 'http://user:pass-word-1234@'), '--out', outPath(), '--yes'], { stdin: token })
    expect(withUser.code).toBe(3)
    expect(withUser.stdout + withUser.stderr).not.toContain('pass-word-1234')
  })

  it('exit 1: a failed check (expired assertion, other issuer), nothing written', async () => {
    for (const args of [['--now', String(T0 + 1000)], ['--audience', 'other-app']]) {
      const out = outPath()
      const run = await enroll([...base(), ...args, '--out', out, '--yes'], { stdin: token })
      expect(run.code).toBe(1)
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, written: false })
      expect(existsSync(out)).toBe(false)
    }
  })

  it('exit 1: an assertion that is not a compact JWS still gets every check reported', async () => {
    const run = await enroll([...base(), '--out', outPath(), '--yes'], { stdin: 'not-a-token' })
    expect(run.code).toBe(1)
    const printed = JSON.parse(run.stdout) as { decoded: unknown; checks: Array<{ id: string; result: string; detail?: string }> }
    expect(printed.decoded).toBeNull()
    expect(printed.checks.map((check) => check.result)).toEqual(['pass', 'pass', 'pass', 'not_run', 'fail', 'not_run', 'not_run', 'not_run', 'pass'])
    expect(printed.checks[4]!.detail).toMatch(/^malformed_assertion/)
  })

  it('exit 2: a configuration the runtime refuses (plain-http key URL off loopback)', async () => {
    const out = outPath()
    const run = await enroll([...base(), '--jwks-url', 'http://keys.example/jwks.json', '--out', out, '--yes'], { stdin: token })
    expect(run.code).toBe(2)
    const printed = JSON.parse(run.stdout) as { checks: Array<{ id: string; result: string }>; settings: Record<string, unknown> }
    expect(printed.checks.find((check) => check.id === 'key_url_secure')?.result).toBe('fail')
    // A refused configuration's values are withheld (a misplaced token or secret must not be printed).
    expect(printed.settings).toEqual({ TRUSTED_PROXY_JWKS_URL: null, TRUSTED_PROXY_ASSERTION_HEADER: null, TRUSTED_PROXY_ISSUER: null, TRUSTED_PROXY_AUDIENCE: null })
    expect(existsSync(out)).toBe(false)
  })

  it('exit 2: usage errors, never quoting the assertion', async () => {
    const cases: Array<[string[], string]> = [
      [[...base()], '--out PATH is required (or TRUSTED_PROXY_ENROLLMENT_FILE)'],
      [['--assertion', token, '--out', outPath()], '--assertion takes - (read the assertion from standard input)'],
      [['--out', outPath()], 'a challenge assertion is required: --assertion - or --assertion-env NAME'],
      [['--assertion', '-', '--assertion-env', 'X', '--out', outPath()], 'give either --assertion - or --assertion-env, not both'],
      [['--assertion-env', 'UNSET', '--out', outPath()], 'the variable --assertion-env names is not set or empty'],
      [['--discovery', '--jwks-url', issuer.jwksUrl, '--assertion', '-', '--out', outPath()], 'give either --jwks-url or --discovery, not both'],
      [['--now', 'soon', '--assertion', '-', '--out', outPath()], '--now must be a number of seconds since the epoch'],
      [['--assertion', '-', '--out', outPath()], 'standard input held no assertion'],
    ]
    for (const [args, message] of cases) {
      const run = await enroll(args, { stdin: message === 'standard input held no assertion' ? ' \n' : token })
      expect(run.code, message).toBe(2)
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'invalid_config', problems: [{ variable: 'arguments', message }] } })
    }
  })

  it('exit 2 without --yes when nobody can confirm; the report is printed, nothing written', async () => {
    const out = outPath()
    const run = await enroll([...base(), '--out', out], { stdin: token })
    expect(run.code).toBe(2)
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, written: false })
    expect(run.stderr).toContain('--yes')
    expect(existsSync(out)).toBe(false)
  })

  it('asks at a terminal: "y" writes (exit 0), anything else does not (exit 1)', async () => {
    const yes = outPath()
    const accepted = await enroll([...base(), '--out', yes], { stdin: token, terminal: true, answer: true })
    expect(accepted.code).toBe(0)
    expect(accepted.questions).toEqual([`Write the enrollment record to ${yes}? [y/N] `])
    expect(accepted.stdout).toContain('About to trust:')
    expect(accepted.stdout).toContain('PASS assertion_signature')
    expect(accepted.stdout).toContain(`written: ${yes}`)
    expect(existsSync(yes)).toBe(true)
    const no = outPath()
    const declined = await enroll([...base(), '--out', no], { stdin: token, terminal: true, answer: false })
    expect(declined.code).toBe(1)
    expect(existsSync(no)).toBe(false)
  })

  it('exit 3: the key set is unavailable (the cause in the check detail)', async () => {
    issuer.setFailures(['503'])
    const run = await enroll([...base(), '--out', outPath(), '--yes'], { stdin: token })
    issuer.reset()
    expect(run.code).toBe(3)
    expect((JSON.parse(run.stdout) as { checks: Array<{ id: string; detail?: string }> }).checks.find((check) => check.id === 'keys_reachable')?.detail).toBe('HTTP status 503')
  })

  it('exit 2 when the record cannot be written', async () => {
    const run = await enroll([...base(), '--out', join(scratch, 'no-such-dir', 'record.json'), '--yes'], { stdin: token })
    expect(run.code).toBe(2)
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'invalid_config', problems: [{ variable: '--out', message: 'cannot be written (ENOENT)' }] } })
  })

  it('is listed in the help', async () => {
    let help = ''
    await runCli(['enroll', '--help'], { env: {}, stdin: (async function* () {})(), stdout: (text) => void (help += text), stderr: () => undefined })
    expect(help).toContain('--assertion-env <name>')
    expect(help).toContain('Exit codes: 0 written')
  })

  it('never printed the assertion or a fragment of it, in any run above', () => {
    const parts = token.split('.')
    const fragments = [token, parts.slice(0, 2).join('.'), ...parts].filter((fragment) => fragment.length >= 16)
    const all = everyOutput.join('\n')
    expect(fragments.filter((fragment) => all.includes(fragment))).toEqual([])
    for (let index = 1; index <= counter; index++) {
      const path = join(scratch, `record-${index}.json`)
      if (existsSync(path)) expect(fragments.filter((fragment) => readFileSync(path, 'utf8').includes(fragment))).toEqual([])
    }
  })
})
