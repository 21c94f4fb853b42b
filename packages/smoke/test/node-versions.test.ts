import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { repoRoot } from './support/repo.js'
import { baseEnv, run } from './support/run.js'

// Node 20 runs every suite in the packages' own test tasks; Node 22 and 24 (installed into .tools/node by
// scripts/install-tools.sh) run the adapter suites and the runtime-facing core files of
// node-versions.vitest.config.ts.
const MAJORS = [22, 24] as const
const vitest = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs')
const config = join(import.meta.dirname, '..', 'node-versions.vitest.config.ts')

for (const major of MAJORS) {
  const node = join(repoRoot, '.tools', 'node', String(major), 'bin', 'node')
  const missing = !existsSync(node)
  if (missing) console.log(`skipped: Node ${major} not installed at ${node} (run scripts/install-tools.sh)`)

  // Skipped only when that Node build is absent (install-tools.sh needs the npm registry to fetch it).
  it.skipIf(missing)(`Node ${major} passes the adapter suites and the core's runtime-facing files`, async () => {
    const version = await run(node, ['--version'])
    expect(version.stdout).toMatch(new RegExp(`^v${major}\\.`))
    const result = await run(node, [vitest, 'run', '--config', config, '--reporter=dot'], { cwd: repoRoot, env: baseEnv({ CI: '1' }) })
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0)
  }, 300_000)
}
