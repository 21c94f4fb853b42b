// Copies the enrollment page's screenshots, taken by test/enrollment-browser.test.ts into the git-ignored
// test-artifacts/enrollment/, to docs/images/enrollment/ where docs/trust-onboarding.md shows them.
// Run through `npm run screenshots` (repository root), which runs the browser test first.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const from = fileURLToPath(new URL('../test-artifacts/enrollment/', import.meta.url))
const to = fileURLToPath(new URL('../../../docs/images/enrollment/', import.meta.url))
const shots = readdirSync(from).filter((name) => name.endsWith('.png')).sort()
if (shots.length === 0) {
  console.error(`no screenshots in ${from}: did the browser test run (it skips without /usr/bin/chromium)?`)
  process.exit(1)
}
rmSync(to, { recursive: true, force: true })
mkdirSync(to, { recursive: true })
for (const name of shots) copyFileSync(`${from}${name}`, `${to}${name}`)
console.log(`copied ${shots.length} screenshots to docs/images/enrollment/`)
