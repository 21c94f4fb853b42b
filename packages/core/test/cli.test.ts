import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli as runCliMain } from '../src/cli/run-cli.js'

const cli = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js')

interface CliResult {
  code: number
  stdout: string
  json: { ok: boolean; identity?: Record<string, unknown> | null; error?: { code: string; status: number; message: string; problems?: unknown[] } }
}

function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } }, (error, stdout) => {
      const code = error ? Number((error as { code?: number }).code ?? 1) : 0
      let json: CliResult['json'] = { ok: false }
      try {
        json = JSON.parse(stdout)
      } catch {
        // --help prints text
      }
      resolve({ code, stdout, json })
    })
    if (stdin !== undefined) child.stdin?.end(stdin)
    else child.stdin?.end()
  })
}

/** The same command line in this process (runCli with captured output): for the many cases of one feature. */
async function runCliInProcess(args: string[], env: Record<string, string>, stdin = ''): Promise<CliResult> {
  let stdout = ''
  const code = await runCliMain(args, {
    env,
    stdin: (async function* () {
      yield stdin
    })(),
    stdout: (text) => {
      stdout += text
    },
    stderr: () => undefined,
  })
  let json: CliResult['json'] = { ok: false }
  try {
    json = JSON.parse(stdout)
  } catch {
    // several lines, or help text
  }
  return { code, stdout, json }
}

let issuer: RunningTestIssuer
let env: Record<string, string>
let token: string

beforeAll(async () => {
  issuer = await startTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'ann' })
  env = envFor(issuer, { TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion' }) as Record<string, string>
  token = await issuer.sign({ email: 'ann@example.com', tenant: 'acme' }, { issuedAt: 1_700_000_000, expiresIn: 300, now: 1_700_000_000 })
})

afterAll(() => issuer.close())

describe('trusted-proxy-auth verify', () => {
  it('prints the identity and exits 0 for a valid token against a loopback JWKS', async () => {
    const result = await runCli(['verify', token, '--now', '1700000100'], env)
    expect(result.code).toBe(0)
    expect(result.json.ok).toBe(true)
    expect(result.json.identity).toMatchObject({ subject: 'ann', email: 'ann@example.com', audience: ['app'] })
  })

  it('reads the token from standard input with -', async () => {
    const result = await runCli(['verify', '-', '--now', '1700000100'], env, `${token}\n`)
    expect(result.json.identity).toMatchObject({ subject: 'ann' })
  })

  it('exits 1 with the contract code when rejected, and never prints the token', async () => {
    const result = await runCli(['verify', token, '--now', '1800000000'], env)
    expect(result.code).toBe(1)
    expect(result.json.error).toEqual({ code: 'expired', status: 401, message: 'the identity assertion has expired', detail: 'exp 1700000300 is not after now 1800000000 - tolerance 60 s' })
    expect(result.stdout).not.toContain(token.split('.')[1])
  })

  it('lets flags override the environment', async () => {
    const wrongAudience = await runCli(['verify', token, '--now', '1700000100', '--audience', 'other'], env)
    expect(wrongAudience.json.error?.code).toBe('audience_mismatch')
    const claimRule = await runCli(['verify', token, '--now', '1700000100', '--require-claim', 'tenant=globex'], env)
    expect(claimRule.json.error?.code).toBe('claim_mismatch')
  })

  it('verifies a whole request with --header and --remote-address', async () => {
    const trusted = { ...env, TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1' }
    const ok = await runCli(['verify', '--header', `x-assertion: ${token}`, '--remote-address', '::ffff:127.0.0.1', '--now', '1700000100'], trusted)
    expect(ok.json.identity).toMatchObject({ subject: 'ann' })
    const outside = await runCli(['verify', '--header', `x-assertion: ${token}`, '--remote-address', '192.0.2.1', '--now', '1700000100'], trusted)
    expect(outside.json.error?.code).toBe('untrusted_source')
  })

  it('exits 2 with invalid_config listing every problem', async () => {
    const result = await runCli(['verify', token], { TRUSTED_PROXY_ALGORITHMS: 'HS256', TRUSTED_PROXY_JWKS_URL: 'http://example.com/jwks' })
    expect(result.code).toBe(2)
    expect(result.json.error?.code).toBe('invalid_config')
    const variables = (result.json.error?.problems as Array<{ variable: string }>).map((p) => p.variable)
    expect(variables).toEqual(expect.arrayContaining(['TRUSTED_PROXY_ALGORITHMS', 'TRUSTED_PROXY_JWKS_URL', 'TRUSTED_PROXY_ISSUER']))
  })

  it('exits 2 on usage errors and 0 with --help', async () => {
    expect((await runCli(['verify'], env)).code).toBe(2)
    expect((await runCli(['verify', '--unknown-flag', 'x'], env)).json.error?.code).toBe('invalid_config')
    const help = await runCli(['verify', '--help'], env)
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--require-claim')
  })
})

// The first case runs the built CLI (real stdin, stdout, exit code); the rest call runCli in this process.
describe('trusted-proxy-auth verify --batch', () => {
  const lines = (result: CliResult): Array<CliResult['json']> =>
    result.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as CliResult['json'])

  it('answers every line in order with the single-mode JSON; the exit code is the highest of the lines', async () => {
    const input = [
      JSON.stringify({ token, now: 1_700_000_100 }),
      '',
      JSON.stringify({ token, now: 1_800_000_000 }),
      JSON.stringify({ headers: [['x-assertion', token]], remoteAddress: '127.0.0.1', now: 1_700_000_100, env: { TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1' } }),
      JSON.stringify({ headers: [['x-assertion', token]], remoteAddress: '192.0.2.1', now: 1_700_000_100, env: { TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1' } }),
    ].join('\n')
    const result = await runCli(['verify', '--batch'], env, input)
    const single = await runCli(['verify', token, '--now', '1800000000'], env)
    const answers = lines(result)
    expect(answers.map((answer) => answer.ok)).toEqual([true, false, true, false])
    expect(answers[0]?.identity).toMatchObject({ subject: 'ann', email: 'ann@example.com' })
    expect(answers[1]).toEqual(single.json)
    expect(answers[3]?.error?.code).toBe('untrusted_source')
    expect(result.code).toBe(1)
    expect(result.stdout).not.toContain(token.split('.')[1])
  })

  it('exits 0 when every line verified, and lets flags and --now apply to every line', async () => {
    const input = `${JSON.stringify({ token })}\r\n${JSON.stringify({ token, now: 1_700_000_200 })}`
    const ok = await runCliInProcess(['verify', '--batch', '--now', '1700000100'], env, input)
    expect(ok.code).toBe(0)
    expect(lines(ok).map((answer) => answer.ok)).toEqual([true, true])
    const flagged = await runCliInProcess(['verify', '--batch', '--now', '1700000100', '--audience', 'other'], env, input)
    expect(lines(flagged).map((answer) => answer.error?.code)).toEqual(['audience_mismatch', 'audience_mismatch'])
  })

  it('lays each line\'s env over the environment for that line only', async () => {
    const input = [JSON.stringify({ token, now: 1_700_000_100, env: { TRUSTED_PROXY_AUDIENCE: 'other' } }), JSON.stringify({ token, now: 1_700_000_100 })].join('\n')
    const result = await runCliInProcess(['verify', '--batch'], env, input)
    expect(lines(result).map((answer) => answer.error?.code ?? 'ok')).toEqual(['audience_mismatch', 'ok'])
  })

  it('answers a malformed line with invalid_config naming the line, never echoing it, and goes on', async () => {
    const input = [
      `not json ${token}`,
      JSON.stringify(['a list']),
      JSON.stringify({ token, tokn: token }),
      JSON.stringify({ token, headers: [['x-assertion', token]] }),
      JSON.stringify({ now: 1 }),
      JSON.stringify({ token, now: -1 }),
      JSON.stringify({ token, env: { TRUSTED_PROXY_AUDIENCE: 7 } }),
      JSON.stringify({ headers: [['x-assertion']] }),
      JSON.stringify({ token, now: 1_700_000_100 }),
    ].join('\n')
    const result = await runCliInProcess(['verify', '--batch'], env, input)
    const answers = lines(result)
    expect(answers).toHaveLength(9)
    expect(answers.slice(0, 8).map((answer) => answer.error?.code)).toEqual(Array(8).fill('invalid_config'))
    expect((answers[0]?.error?.problems as Array<{ message: string }>)[0]?.message).toBe('line 1 of standard input is not JSON')
    expect((answers[2]?.error?.problems as Array<{ message: string }>)[0]?.message).toContain('unknown member "tokn"')
    expect(answers[8]?.ok).toBe(true)
    expect(result.code).toBe(2)
    expect(result.stdout).not.toContain(token.split('.')[1])
  })

  it('refuses a TOKEN or --header beside --batch, and answers nothing for empty input', async () => {
    const withToken = await runCliInProcess(['verify', '--batch', token], env, '')
    expect(withToken.code).toBe(2)
    expect(withToken.json.error?.code).toBe('invalid_config')
    expect((await runCliInProcess(['verify', '--batch', '--header', `x-assertion: ${token}`], env, '')).code).toBe(2)
    const empty = await runCliInProcess(['verify', '--batch'], env, '\n\n')
    expect({ code: empty.code, stdout: empty.stdout }).toEqual({ code: 0, stdout: '' })
  })

  it('documents the batch format in --help', async () => {
    const help = await runCliInProcess(['verify', '--help'], env)
    expect(help.stdout).toContain('--batch')
    expect(help.stdout).toContain('JSON Lines')
  })
})
