import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { repoRoot } from './support/repo.js'
import { baseEnv, run } from './support/run.js'

// scripts/install-tools.sh builds actionlint with `go install` into .tools/bin (run by .ci/run).
const actionlint = join(repoRoot, '.tools', 'bin', 'actionlint')
const missing = !existsSync(actionlint)
if (missing) console.log(`skipped: actionlint not installed at ${actionlint} (run scripts/install-tools.sh)`)

// Skipped only when the binary is absent: a machine without Go cannot build it; CI installs it first.
it.skipIf(missing)('actionlint finds nothing wrong in .github/workflows', async () => {
  const result = await run(actionlint, ['-no-color'], { cwd: repoRoot, env: baseEnv() })
  expect(result.stdout + result.stderr).toBe('')
  expect(result.code).toBe(0)
})
