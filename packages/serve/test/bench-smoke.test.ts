import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const bench = join(import.meta.dirname, '..', '..', '..', 'bench', 'serve-throughput.mjs')

describe('bench/serve-throughput.mjs', () => {
  // Proves only that the benchmark runs end to end (a few hundred requests); its numbers are not judged here.
  it('measures serve against a bare node:http handler and prints the ratio', async () => {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [bench], { env: { PATH: process.env['PATH'] ?? '', BENCH_AMOUNT: '200', BENCH_CONNECTIONS: '4' }, timeout: 170_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      )
    })
    expect(output).toMatch(/bare node:http 200 +\d+ requests\/s/)
    expect(output).toMatch(/serve \/verify +\d+ requests\/s/)
    expect(output).toMatch(/ratio \d+\.\d\d/)
  })
})
