// `npm run bench` (at the repository root): every benchmark in one run, markdown on stdout.
//   npm run bench                    the verifier against the floor and its peers, key-set fetches, HTTP, Hono's hit
//   npm run bench -- --verify        only the verifier tables (compare.mjs)
//   npm run bench -- --keys          only the key-set fetch counts (key-fetches.mjs)
//   npm run bench -- --http          only HTTP throughput (http-throughput.mjs)
//   npm run bench -- --hono-hit      only Hono's cache hit in-process, per form of the adapter (hono-hit-path.mjs)
//   npm run bench -- --instructions  instructions per verification under callgrind, ours and the floor
//                                    (instructions.mjs; needs valgrind, about 6 minutes an algorithm: not in the default run)
// Knobs (environment): docs/performance.md lists them; BENCH_SMOKE=1 makes every part tiny.
import { spawnSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'

const PARTS = { verify: 'compare.mjs', keys: 'key-fetches.mjs', http: 'http-throughput.mjs', 'hono-hit': 'hono-hit-path.mjs', instructions: 'instructions.mjs' }
const DEFAULT_PARTS = ['verify', 'keys', 'http', 'hono-hit']
const chosen = process.argv.slice(2).map((arg) => arg.replace(/^--/, ''))
for (const name of chosen) if (!(name in PARTS)) throw new Error(`unknown part --${name} (one of ${Object.keys(PARTS).map((part) => `--${part}`).join(', ')})`)
const parts = chosen.length > 0 ? chosen : DEFAULT_PARTS

console.log(`# Benchmarks (${new Date().toISOString()})\n`)
console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average at start: ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`)
for (const part of parts) {
  // --expose-gc: the memory line collects garbage before it reads the heap.
  const { status } = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(new URL(PARTS[part], import.meta.url))], { stdio: 'inherit' })
  if (status !== 0) process.exit(status ?? 1)
}
