import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { expect, it } from 'vitest'

// Proves only that the benchmark still runs and prints its tables: timings never decide a test.
it('npm run bench runs (a tiny pass: one algorithm, 8 assertions, one round)', { timeout: 120_000 }, async () => {
  const output = await new Promise((resolve, reject) =>
    execFile(process.execPath, [join(import.meta.dirname, '..', 'compare.mjs')], { env: { ...process.env, BENCH_SMOKE: '1', BENCH_ALGS: 'ES256' } }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  )
  expect(output).toContain('## ES256, distinct assertions')
  expect(output).toContain('## ES256, repeated assertion')
  expect(output).toMatch(/\| ours verifyAssertion \| [\d.]+× \| [\d.]+× \|/)
  expect(output).toContain('load average at start')
})
