import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { expect, it } from 'vitest'

// Proves only that each benchmark script still runs and prints its tables: timings never decide a test.
function run(script, env = {}) {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [join(import.meta.dirname, '..', script)], { env: { ...process.env, BENCH_SMOKE: '1', ...env } }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  )
}

it('the verifier tables run (a tiny pass: one algorithm, 8 assertions, one round)', { timeout: 120_000 }, async () => {
  const output = await run('compare.mjs', { BENCH_ALGS: 'ES256' })
  expect(output).toContain('## ES256, distinct assertions')
  expect(output).toContain('## ES256, repeated assertion')
  expect(output).toMatch(/\| ours verifyAssertion \| [\d.]+× \| [\d.]+× \| [\d.]+–[\d.]+ \| [\d.]+–[\d.]+ \|/)
  expect(output).toMatch(/\| jose jwtVerify \(remote set, loopback\) \| [\d.]+× \| [\d.]+× \| [\d.]+–[\d.]+ \| [\d.]+–[\d.]+ \|/)
  expect(output).toMatch(/\| aws-jwt-verify \| [\d.]+× \| [\d.]+× \| [\d.]+–[\d.]+ \| [\d.]+–[\d.]+ \|/)
  expect(output).toContain('load average at start')
  expect(output).toMatch(/200 distinct EdDSA assertions, each verified twice, through one verifier with the default cache: 200 entries held/)
})

it('the key-set fetch counts run (a flood of 200 random kids, 20 first requests)', { timeout: 120_000 }, async () => {
  const output = await run('key-fetches.mjs')
  expect(output).toMatch(/\| ours \(verifyAssertion\) \| \d+ \| \d+ \(20\/20\) \|/)
})

it('the HTTP throughput table runs (50 requests per app, every adapter, its bare framework and the peers)', { timeout: 120_000 }, async () => {
  const output = await run('http-throughput.mjs')
  // Requests/s, the ratio, the no-op middleware's ratio, then the app processes' CPU µs per request (bare, ours, the difference).
  const sameProcessAt = output.indexOf('### The same comparison inside one process')
  expect(sameProcessAt).toBeGreaterThan(0)
  const freshProcesses = output.slice(0, sameProcessAt)
  for (const framework of ['express', 'fastify', 'hono', 'koa']) {
    expect(freshProcesses).toMatch(new RegExp(`\\| ${framework}[^|]* \\| \\d+ \\| \\d+ \\| \\*\\*[\\d.]+ \\([\\d.]+–[\\d.]+\\)\\*\\* \\| [\\d.]+ \\([\\d.]+–[\\d.]+\\) \\| [\\d.]+ \\| [\\d.]+ \\| -?[\\d.]+ \\|`))
  }
  expect(freshProcesses).toMatch(/\| hono, `protect\(handler\)` \| \d+ \| \d+ \| \*\*[\d.]+ \([\d.]+–[\d.]+\)\*\* \| — \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \|/)
  expect(freshProcesses).toMatch(/\| express-jwt \+ jwks-rsa \| \d+ \| [\d.]+ \([\d.]+–[\d.]+\) \| [\d.]+ \|/)
  expect(freshProcesses).toMatch(/\| @fastify\/jwt \| \d+ \| [\d.]+ \([\d.]+–[\d.]+\) \| [\d.]+ \|/)
  // The same comparison inside one process: requests/s, ours ÷ bare (overall and per process), the no-op middleware's
  // ratios, then CPU µs per request of the three apps.
  const sameProcess = output.slice(output.indexOf('### The same comparison inside one process'))
  for (const framework of ['express', 'fastify', 'hono', 'koa']) {
    expect(sameProcess).toMatch(new RegExp(`\\| ${framework}[^|]* \\| \\d+ \\| \\d+ \\| \\*\\*[\\d.]+\\*\\* \\| [\\d. ]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\|`))
  }
  expect(sameProcess).toMatch(/\| hono, `protect\(handler\)` \| \d+ \| \d+ \| \*\*[\d.]+\*\* \| — \| — \| — \| [\d.]+ \| — \| [\d.]+ \|/)
})

it("Hono's in-process hit table runs (every form of the adapter against the bare app and a no-op middleware)", { timeout: 60_000 }, async () => {
  const output = await run('hono-hit-path.mjs')
  expect(output).toMatch(/\| bare \| \d+ \| — \|/)
  for (const app of ['no-op middleware', 'ours, middleware \\(app.use\\)', 'ours, protect\\(handler\\)']) expect(output).toMatch(new RegExp(`\\| ${app} \\| \\d+ \\| -?\\d+ \\|`))
})

it('the instruction counts run (the smoke pass runs each contender natively: under callgrind a run takes minutes)', { timeout: 120_000 }, async () => {
  const output = await run('instructions.mjs', { BENCH_ALGS: 'ES256' })
  for (const contender of ['floor', 'ours', 'ours-cache-off', 'ours-hit']) expect(output).toContain(`natively: ${contender}: 40 verified`)
})
