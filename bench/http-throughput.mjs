// HTTP on loopback with autocannon: each adapter on a cache hit against its bare framework's hello route,
// and express-jwt + jwks-rsa and @fastify/jwt doing the same check (RS256, issuer, audience). Every app runs
// in a process of its own (http-apps.mjs), all started first, then measured one at a time, interleaved over
// rounds; the median of the rounds is printed with the ratio to the bare framework. Each app process also reports
// its own CPU time (user + system) over every measurement: CPU µs per request moves far less than requests/s when
// other work shares the machine, and ours minus bare is what the middleware costs. Markdown on stdout.
//   BENCH_HTTP_ROUNDS (default 3), BENCH_SECONDS per measurement (default 3), BENCH_CONNECTIONS (default 32),
//   BENCH_HTTP_FRAMEWORKS (default express,fastify,hono,koa: the rows to run),
//   BENCH_SMOKE=1: one round of 50 requests per app (only proves the script runs)
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose'

const SMOKE = process.env.BENCH_SMOKE === '1'
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? (SMOKE ? 1 : 3))
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const ISSUER = 'https://bench.example'
const AUDIENCE = 'bench'
const HEADER = 'x-bench-assertion'
const appsScript = fileURLToPath(new URL('./http-apps.mjs', import.meta.url))

const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' }
const token = await new SignJWT({ sub: 'bench', email: 'bench@example.com', name: 'Bench User', groups: ['a', 'b'] })
  .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
  .setIssuer(ISSUER)
  .setAudience(AUDIENCE)
  .setIssuedAt()
  .setExpirationTime('2h')
  .sign(privateKey)
const jwks = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })))
await new Promise((resolve) => jwks.listen(0, '127.0.0.1', resolve))
const jwksUrl = `http://127.0.0.1:${jwks.address().port}/jwks.json`

const env = {
  PATH: process.env.PATH ?? '',
  NODE_ENV: 'production',
  TRUSTED_PROXY_ASSERTION_HEADER: HEADER,
  TRUSTED_PROXY_JWKS_URL: jwksUrl,
  TRUSTED_PROXY_ISSUER: ISSUER,
  TRUSTED_PROXY_AUDIENCE: AUDIENCE,
  // The per-request policy runs on every cache hit too: autocannon connects from 127.0.0.1.
  TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1',
  BENCH_JWKS_URL: jwksUrl,
  BENCH_PUBLIC_PEM: await exportSPKI(publicKey),
}

/** Rows: a framework's bare app, ours on it, and a peer doing the same check where there is one. */
const FRAMEWORKS = (process.env.BENCH_HTTP_FRAMEWORKS ?? 'express,fastify,hono,koa').split(',')
const rows = [
  { framework: 'express', peer: { app: 'express-jwt', name: 'express-jwt + jwks-rsa' } },
  { framework: 'fastify', peer: { app: 'fastify-jwt', name: '@fastify/jwt' } },
  { framework: 'hono', via: '@hono/node-server' },
  { framework: 'koa' },
].filter((row) => FRAMEWORKS.includes(row.framework))
const appNames = rows.flatMap((row) => [`${row.framework}-bare`, `${row.framework}-ours`, ...(row.peer ? [row.peer.app] : [])])

async function start(app) {
  const child = spawn(process.execPath, [appsScript, app], { env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  let buffer = ''
  for await (const chunk of child.stdout) {
    buffer += chunk
    const match = /^(\d+)\n/.exec(buffer)
    if (match) {
      child.stdout.resume()
      return { app, child, url: `http://127.0.0.1:${match[1]}/` }
    }
  }
  throw new Error(`${app} exited before listening: ${buffer}`)
}

/** The app process's CPU time so far (user + system, µs), asked over its IPC channel. */
async function cpuMicros({ child }) {
  const answer = once(child, 'message')
  child.send('cpu')
  const [{ user, system }] = await answer
  return user + system
}

/** One measurement: requests/s, and the app's CPU µs per request over it. */
async function measure(server, seconds) {
  const cpuBefore = await cpuMicros(server)
  const result = await autocannon({ url: server.url, headers: { [HEADER]: token }, connections: CONNECTIONS, ...(SMOKE ? { amount: 50 } : { duration: seconds }) })
  const cpu = (await cpuMicros(server)) - cpuBefore
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.app}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
  return { rate: result.requests.total / Math.max(result.duration, 0.001), cpuPerRequest: cpu / Math.max(result.requests.total, 1) }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

console.log('## HTTP throughput on a cache hit (loopback, autocannon)\n')
console.log(`node ${process.version}, ${CONNECTIONS} connections, ${SMOKE ? '50 requests' : `${SECONDS} s`} per measurement, median of ${ROUNDS} interleaved rounds, RS256, the same assertion on every request`)
console.log(`load average at start: ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`)
const servers = []
try {
  servers.push(...(await Promise.all(appNames.map(start))))
  // Warm-up: keys loaded, the assertion cached, JIT warm.
  for (const server of servers) await measure(server, 1)
  const measurements = new Map(appNames.map((app) => [app, []]))
  for (let round = 0; round < ROUNDS; round++) for (const server of servers) measurements.get(server.app).push(await measure(server, SECONDS))
  const rate = (app) => median(measurements.get(app).map((measurement) => measurement.rate))
  const cpu = (app) => median(measurements.get(app).map((measurement) => measurement.cpuPerRequest))
  console.log('| framework | bare hello (requests/s) | ours (requests/s) | ours ÷ bare | bare CPU µs/request | ours CPU µs/request | ours − bare CPU µs | peer doing the same check | peer (requests/s) | peer ÷ bare | peer CPU µs/request |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|')
  for (const row of rows) {
    const [bareApp, oursApp] = [`${row.framework}-bare`, `${row.framework}-ours`]
    const bare = rate(bareApp)
    const ours = rate(oursApp)
    const cpuColumns = [cpu(bareApp).toFixed(1), cpu(oursApp).toFixed(1), (cpu(oursApp) - cpu(bareApp)).toFixed(1)]
    const peer = row.peer ? [row.peer.name, Math.round(rate(row.peer.app)), (rate(row.peer.app) / bare).toFixed(2), cpu(row.peer.app).toFixed(1)] : ['—', '—', '—', '—']
    console.log(`| ${row.framework}${row.via ? ` (${row.via})` : ''} | ${Math.round(bare)} | ${Math.round(ours)} | **${(ours / bare).toFixed(2)}** | ${cpuColumns.join(' | ')} | ${peer.join(' | ')} |`)
  }
  console.log(`\nload average at end: ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`)
} finally {
  for (const { child } of servers) child.kill('SIGTERM')
  await Promise.all(servers.map(({ child }) => (child.exitCode === null ? once(child, 'exit') : undefined)))
  jwks.close()
}
