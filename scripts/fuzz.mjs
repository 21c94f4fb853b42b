#!/usr/bin/env node
// `npm run fuzz`: the long fuzzing run of both languages (issue 9, item 9). The test suites run the same
// properties bounded (a few seconds, fixed seed); here FUZZ_RUNS examples per property with a fresh seed.
//   FUZZ_RUNS=20000 FUZZ_SEED=123 npm run fuzz     (both optional; the seed is printed to reproduce a failure)
import { spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const runs = process.env.FUZZ_RUNS ?? '5000'
const seed = process.env.FUZZ_SEED ?? String(randomInt(1, 2 ** 31 - 1))
const env = { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed }
console.log(`fuzzing with FUZZ_RUNS=${runs} FUZZ_SEED=${seed}`)

const steps = [
  { name: 'TypeScript (fast-check)', command: 'npx', args: ['vitest', 'run', 'test/fuzz.test.ts'], cwd: join(root, 'packages', 'core') },
  { name: 'Python (Hypothesis)', command: 'python3', args: ['scripts/dev_env.py', 'run', 'pytest', '-q', 'tests/test_fuzz.py'], cwd: join(root, 'packages', 'python') },
]
let failed = false
for (const step of steps) {
  console.log(`\n== ${step.name}`)
  const result = spawnSync(step.command, step.args, { cwd: step.cwd, env, stdio: 'inherit' })
  if (result.status !== 0) {
    failed = true
    console.error(`${step.name} failed; reproduce with FUZZ_RUNS=${runs} FUZZ_SEED=${seed} npm run fuzz`)
  }
}
process.exitCode = failed ? 1 : 0
