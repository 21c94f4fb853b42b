import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../src/cli/run-cli.js'
import { loadConfig } from '../src/index.js'
import packageJson from '../package.json' with { type: 'json' }

const repoRoot = join(import.meta.dirname, '..', '..', '..')

async function cli(args: string[], env: Record<string, string>, options: { terminal?: boolean; stdin?: string } = {}): Promise<{ code: number; out: string }> {
  let out = ''
  const code = await runCli(args, {
    env,
    stdin: (async function* () {
      if (options.stdin !== undefined) yield options.stdin
    })(),
    stdout: (text) => {
      out += text
    },
    stderr: () => undefined,
    isTerminal: options.terminal ?? false,
  })
  return { code, out }
}

let issuer: RunningTestIssuer
let env: Record<string, string>
let token: string
const now = 1_700_000_100

beforeAll(async () => {
  issuer = await startTestIssuer({ audience: 'app', subject: 'ann' })
  env = envFor(issuer, { TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion' }) as Record<string, string>
  token = await issuer.sign({ email: 'ann@example.com', email_verified: true, groups: ['staff'] }, { issuedAt: 1_700_000_000, expiresIn: 300, now: 1_700_000_000 })
})

afterAll(() => issuer.close())

describe('trusted-proxy-auth for CI and operators', () => {
  it('prints its version', async () => {
    expect(await cli(['--version'], {})).toEqual({ code: 0, out: `trusted-proxy-auth ${packageJson.version}\n` })
  })

  it('gives a terminal a summary, JSON with --json, and never the token', async () => {
    const summary = await cli(['verify', '--token-env', 'ID_TOKEN', '--now', String(now)], { ...env, ID_TOKEN: token }, { terminal: true })
    expect(summary.code).toBe(0)
    expect(summary.out).toMatch(/^verified\n {2}subject: {3}ann\n/)
    expect(summary.out).toContain('  email:     ann@example.com (verified)\n')
    expect(summary.out).toContain('  expires:   2023-11-14T22:18:20Z\n')
    const rejected = await cli(['verify', token, '--now', '1800000000'], env, { terminal: true })
    expect(rejected).toEqual({ code: 1, out: 'rejected: expired (401): the identity assertion has expired\n  cause: exp 1700000300 is not after now 1800000000 - tolerance 60 s\n' })
    const forced = await cli(['verify', '--json', token, '--now', String(now)], env, { terminal: true })
    expect(JSON.parse(forced.out).ok).toBe(true)
    expect(summary.out + rejected.out).not.toContain(token.split('.')[1])
  })

  it('exits 3 with the cause when keys are unavailable, on a terminal and as JSON', async () => {
    const gone = { ...env, TRUSTED_PROXY_JWKS_URL: `${issuer.url}/missing.json` }
    const json = await cli(['verify', token, '--now', String(now)], gone)
    expect(json.code).toBe(3)
    expect(JSON.parse(json.out).error).toMatchObject({ code: 'jwks_unavailable', status: 503, detail: 'HTTP status 404' })
    const text = await cli(['verify', token, '--now', String(now)], gone, { terminal: true })
    expect(text.out.split('\n')[1]).toBe('  cause: HTTP status 404')
  })

  it('shows configuration problems on a terminal with exit 2', async () => {
    const result = await cli(['verify', token], {}, { terminal: true })
    expect(result.code).toBe(2)
    expect(result.out).toMatch(/^configuration error: invalid_config \(500\)/)
    expect(result.out).toContain('  TRUSTED_PROXY_ISSUER: is required\n')
  })

  it('finds keys by OpenID discovery with --discover', async () => {
    const { TRUSTED_PROXY_JWKS_URL: _url, ...withoutKeyUrl } = env
    const result = await cli(['verify', '--discover', token, '--now', String(now)], withoutKeyUrl)
    expect(result.code).toBe(0)
    expect(issuer.requests.discoveryCount).toBeGreaterThan(0)
  })

  it('doctor prints findings worst first on a terminal and exits 1 on a critical one', async () => {
    const result = await cli(['doctor', '--no-live'], { ...env, TRUSTED_PROXY_ASSERTION_HEADER: 'Remote-User' }, { terminal: true })
    expect(result.code).toBe(1)
    const lines = result.out.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^CRITICAL unsigned_identity_header: /)
    expect(lines[1]).toBe('  detail: Remote-User')
    expect(lines.at(-1)).toBe('1 critical, 0 warning, 1 info')
  })

  it('doctor warns that an allow-list of users spans several issuers (a subject is unique only within its issuer)', async () => {
    const findingIds = async (settings: Record<string, string>): Promise<string[]> => {
      const result = await cli(['doctor', '--json', '--no-live'], { ...env, TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1', TRUSTED_PROXY_ALLOWED_USERS: 'ann', ...settings })
      expect(result.code).toBe(0)
      return (JSON.parse(result.out) as { findings: Array<{ id: string }> }).findings.map((item) => item.id)
    }
    expect(await findingIds({})).not.toContain('allowed_users_several_issuers')
    expect(await findingIds({ TRUSTED_PROXY_ISSUER: `${env['TRUSTED_PROXY_ISSUER']},https://other.example` })).toEqual(['allowed_users_several_issuers'])
    const entries = [
      { issuer: env['TRUSTED_PROXY_ISSUER'], jwks_url: env['TRUSTED_PROXY_JWKS_URL'] },
      { issuer: 'https://other.example', jwks_url: 'https://other.example/jwks.json' },
    ]
    const { TRUSTED_PROXY_ISSUER: _issuer, TRUSTED_PROXY_JWKS_URL: _keys, ...withoutIssuer } = env
    const result = await cli(['doctor', '--json', '--no-live'], { ...withoutIssuer, TRUSTED_PROXY_ISSUERS: JSON.stringify(entries), TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1', TRUSTED_PROXY_ALLOWED_USERS: 'ann' })
    expect((JSON.parse(result.out) as { findings: Array<{ id: string; detail?: string }> }).findings).toEqual([expect.objectContaining({ id: 'allowed_users_several_issuers', detail: '2 issuers' })])
  })

  it('doctor shows the claims of a captured assertion, never the assertion', async () => {
    const result = await cli(['doctor', '--assertion', '-', '--now', String(now)], env, { terminal: true, stdin: `${token}\n` })
    expect(result.code).toBe(0)
    expect(result.out).toContain('claims:\n')
    expect(result.out).toContain('  email: "ann@example.com"\n')
    expect(result.out).not.toContain(token.split('.')[1])
  })

  it('serve explains what to install when @mieweb/trusted-proxy-auth-serve cannot be loaded', async () => {
    // In this repository the package is a workspace, so the command is only checked for its help here;
    // packages/serve runs it for real.
    const help = await cli(['serve', '--help'], {})
    expect(help.code).toBe(0)
    expect(help.out).toContain('/readyz')
  })
})

describe('loadConfig discovery behaviour (the CLI\'s --discover)', () => {
  const base = { TRUSTED_PROXY_ASSERTION_HEADER: 'X-A', TRUSTED_PROXY_ISSUER: 'https://idp.example/realms/x/', TRUSTED_PROXY_AUDIENCE: 'app' }

  it('auto discovers only for an https issuer with no key source, force always', () => {
    expect(loadConfig(base, {}, { discovery: 'auto' }).keySource).toEqual({ kind: 'discovery', issuer: 'https://idp.example/realms/x/', discoveryUrl: 'https://idp.example/realms/x/.well-known/openid-configuration' })
    expect(() => loadConfig(base)).toThrow()
    const http = { ...base, TRUSTED_PROXY_ISSUER: 'http://127.0.0.1:2' }
    expect(() => loadConfig(http, {}, { discovery: 'auto' })).toThrow()
    expect(loadConfig(http, {}, { discovery: 'force' }).keySource.kind).toBe('discovery')
    const withUrl = { ...base, TRUSTED_PROXY_JWKS_URL: 'https://idp.example/jwks' }
    expect(loadConfig(withUrl, {}, { discovery: 'auto' }).keySource).toEqual({ kind: 'jwks', url: 'https://idp.example/jwks' })
    expect(() => loadConfig(withUrl, {}, { discovery: 'force' })).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ variable: 'TRUSTED_PROXY_JWKS_URL' })] }))
  })

  it('force refuses presets whose keys are not a key set', () => {
    const alb = { TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_ISSUER: 'https://idp.example', TRUSTED_PROXY_AWS_ALB_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/1' }
    expect(() => loadConfig(alb, { preset: 'aws-alb' }, { discovery: 'force' })).toThrow(expect.objectContaining({ problems: expect.arrayContaining([expect.objectContaining({ variable: 'TRUSTED_PROXY_PRESET' })]) }))
  })
})

describe('the workspace bin', () => {
  it('runs as `trusted-proxy-auth` from node_modules/.bin after install and build (npx resolves it, not the unscoped npm name)', async () => {
    const bin = join(repoRoot, 'node_modules', '.bin', 'trusted-proxy-auth')
    expect(existsSync(bin)).toBe(true)
    const out = await new Promise<string>((resolve, reject) => {
      execFile(bin, ['--version'], (error, stdout) => (error ? reject(error) : resolve(stdout)))
    })
    expect(out).toBe(`trusted-proxy-auth ${packageJson.version}\n`)
  })
})
