// HTTP on loopback with autocannon: each adapter on a cache hit against its bare framework's hello route,
// and express-jwt + jwks-rsa and @fastify/jwt doing the same check (RS256, issuer, audience). Every app runs
// in a process of its own (http-apps.mjs), started afresh for each round with the other apps of its framework
// (in an order that turns each round) and measured one at a time; each ratio to the bare framework is the median
// of the rounds' ratios (with their lowest and highest), requests/s and CPU the medians of the rounds.
// BENCH_PIN=0: apps not pinned to the last CPU. Each app process also reports
// its own CPU time (user + system) over every measurement: CPU µs per request moves far less than requests/s when
// other work shares the machine, and ours minus bare is what the middleware costs. Markdown on stdout.
//   BENCH_HTTP_ROUNDS (default 5), BENCH_SECONDS per measurement (default 2), BENCH_CONNECTIONS (default 32),
//   BENCH_HTTP_FRAMEWORKS (default express,fastify,hono,koa: the rows to run),
//   BENCH_PAIR_PROCESSES (default 3), BENCH_PAIR_WINDOWS (default 6) for the same-process table,
//   BENCH_SMOKE=1: one round of 50 requests per app (only proves the script runs)
// A second table measures each adapter against its bare framework inside ONE process (http-apps.mjs <framework>-pair:
// bare, a no-op middleware and ours on three ports (Hono: and protect(handler) on a fourth), measured in turning 1-s windows, BENCH_PAIR_WINDOWS each, in
// BENCH_PAIR_PROCESSES fresh processes): processes started alike were seen to differ by 30 % for their whole life (fresh-process figures of one
// app scatter 16-25 µs CPU per request), which swamps a middleware of 1-2 µs; in one process both apps share that
// luck, so their ratio is what the middleware costs.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { availableParallelism, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { exportSPKI } from 'jose'
import { BENCH_AUDIENCE as AUDIENCE, BENCH_ISSUER as ISSUER, benchIssuer, serveKeySet } from './bench-issuer.mjs'

const SMOKE = process.env.BENCH_SMOKE === '1'
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? (SMOKE ? 1 : 5))
const PAIR_PROCESSES = Number(process.env.BENCH_PAIR_PROCESSES ?? (SMOKE ? 1 : 3))
const PAIR_WINDOWS = Number(process.env.BENCH_PAIR_WINDOWS ?? (SMOKE ? 1 : 6))
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const HEADER = 'x-bench-assertion'
const appsScript = fileURLToPath(new URL('./http-apps.mjs', import.meta.url))

const { publicKey, jwk, token } = await benchIssuer()
const jwks = await serveKeySet([jwk])
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
  // protect(handler): ours as the route's only handler, which Hono runs without composing middleware.
  { framework: 'hono', via: '@hono/node-server', extra: { app: 'hono-protect', label: 'hono, `protect(handler)`' } },
  { framework: 'koa' },
].filter((row) => FRAMEWORKS.includes(row.framework))
const appNames = rows.flatMap((row) => [`${row.framework}-bare`, `${row.framework}-noop`, `${row.framework}-ours`, ...(row.extra ? [row.extra.app] : []), ...(row.peer ? [row.peer.app] : [])])

// Each app on the last CPU, away from the load generator (autocannon runs in this process), when taskset is there:
// otherwise the two trade places on the cores and the figures move with the scheduler. BENCH_PIN=0 turns it off.
const PIN_CPU = process.env.BENCH_PIN !== '0' && availableParallelism() > 1 && spawnSync('taskset', ['-V']).status === 0 ? String(availableParallelism() - 1) : null

async function start(app) {
  const [command, args] = PIN_CPU === null ? [process.execPath, [appsScript, app]] : ['taskset', ['-c', PIN_CPU, process.execPath, appsScript, app]]
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  let buffer = ''
  for await (const chunk of child.stdout) {
    buffer += chunk
    const match = /^([\d ]+)\n/.exec(buffer)
    if (match) {
      child.stdout.resume()
      const urls = match[1].split(' ').map((port) => `http://127.0.0.1:${port}/`)
      return { app, child, url: urls[0], urls }
    }
  }
  throw new Error(`${app} exited before listening: ${buffer}`)
}

/**
 * Proves the app is what its row says before it is measured: with the assertion 200; without it 401 for ours, a
 * refusal (4xx) for the peers (@fastify/jwt answers 400), 200 for the bare and no-op apps.
 */
async function checkAnswers(app, url) {
  const [withAssertion, without] = await Promise.all([fetch(url, { headers: { [HEADER]: token } }), fetch(url)])
  await Promise.all([withAssertion.arrayBuffer(), without.arrayBuffer()])
  const refusedAsExpected = app.endsWith('-ours') || app.endsWith('-protect') ? without.status === 401 : app.endsWith('-jwt') ? without.status >= 400 && without.status < 500 : without.status === 200
  if (withAssertion.status !== 200 || !refusedAsExpected) {
    throw new Error(`${app} at ${url}: ${withAssertion.status} with the assertion, ${without.status} without it`)
  }
}

/** The app process's CPU time so far (user + system, µs), asked over its IPC channel. */
async function cpuMicros({ child }) {
  const answer = once(child, 'message')
  child.send('cpu')
  const [{ user, system }] = await answer
  return user + system
}

/** One measurement: requests/s, and the app's CPU µs per request over it. */
async function measure(server, seconds, url = server.url) {
  const cpuBefore = await cpuMicros(server)
  // autocannon ends an `amount` run on its next sample tick (1 s by default): a 20 ms tick keeps the smoke run's 50
  // requests from costing a second each (60 s of the test run for about 70 measurements).
  const result = await autocannon({ url, headers: { [HEADER]: token }, connections: CONNECTIONS, ...(SMOKE ? { amount: 50, sampleInt: 20 } : { duration: seconds }) })
  const cpu = (await cpuMicros(server)) - cpuBefore
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.app}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
  return { rate: result.requests.total / Math.max(result.duration, 0.001), cpuPerRequest: cpu / Math.max(result.requests.total, 1) }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

console.log('## HTTP throughput on a cache hit (loopback, autocannon)\n')
console.log(`node ${process.version}, ${CONNECTIONS} connections, ${SMOKE ? '50 requests' : `${SECONDS} s`} per measurement, ${ROUNDS} rounds (apps started afresh each round, in turning order${PIN_CPU === null ? '' : `, pinned to CPU ${PIN_CPU}`}), RS256, the same assertion on every request; requests/s and CPU are medians over rounds, a ratio the median of each round's ratio (with the lowest and highest)`)
console.log(`load average at start: ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`)
const servers = new Set()
/** Stops app processes and waits for them to exit. */
async function stop(stopping) {
  for (const server of stopping) {
    server.child.kill('SIGTERM')
    servers.delete(server)
  }
  await Promise.all(stopping.map(({ child }) => (child.exitCode === null ? once(child, 'exit') : undefined)))
}
try {
  // Every round starts each framework's apps afresh, in an order that turns each round, and stops them after:
  // on this kind of machine a process started later was seen to run slower for its whole life (a position
  // effect of 30 % and more), which apps kept for all rounds in a fixed order would charge to the same row.
  const measurements = new Map(appNames.map((app) => [app, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of rows) {
      const names = appNames.filter((app) => app.startsWith(`${row.framework}-`) || app === row.peer?.app)
      const order = names.map((_, i) => names[(i + round) % names.length])
      const started = []
      for (const app of order) {
        const server = await start(app)
        servers.add(server)
        started.push(server)
        await checkAnswers(app, server.url)
      }
      // Warm-up: keys loaded, the assertion cached (taken in at its second success), JIT warm.
      for (const server of started) await measure(server, 1)
      for (const server of started) measurements.get(server.app).push(await measure(server, SECONDS))
      await stop(started)
    }
  }
  const rate = (app) => median(measurements.get(app).map((measurement) => measurement.rate))
  const cpu = (app) => median(measurements.get(app).map((measurement) => measurement.cpuPerRequest))
  console.log('| framework | bare hello (requests/s) | ours (requests/s) | ours ÷ bare (rounds) | no-op middleware ÷ bare (rounds) | bare CPU µs/request | ours CPU µs/request | ours − bare CPU µs | peer doing the same check | peer (requests/s) | peer ÷ bare (rounds) | peer CPU µs/request |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const row of rows) {
    const [bareApp, oursApp] = [`${row.framework}-bare`, `${row.framework}-ours`]
    const bare = rate(bareApp)
    const ours = rate(oursApp)
    const cpuColumns = [cpu(bareApp).toFixed(1), cpu(oursApp).toFixed(1), (cpu(oursApp) - cpu(bareApp)).toFixed(1)]
    // Each round's ratio (both apps started and measured in that round), then the median over rounds: a host that
    // slows for a minute slows both sides of a round's ratio.
    const roundRatios = (app) => measurements.get(app).map((measurement, round) => measurement.rate / measurements.get(bareApp)[round].rate)
    const ratioCell = (app) => {
      const ratios = roundRatios(app)
      return `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
    }
    const peer = row.peer ? [row.peer.name, Math.round(rate(row.peer.app)), ratioCell(row.peer.app), cpu(row.peer.app).toFixed(1)] : ['—', '—', '—', '—']
    console.log(`| ${row.framework}${row.via ? ` (${row.via})` : ''} | ${Math.round(bare)} | ${Math.round(ours)} | **${ratioCell(oursApp)}** | ${ratioCell(`${row.framework}-noop`)} | ${cpuColumns.join(' | ')} | ${peer.join(' | ')} |`)
    if (row.extra) {
      const extra = row.extra.app
      const extraCpu = [cpu(bareApp).toFixed(1), cpu(extra).toFixed(1), (cpu(extra) - cpu(bareApp)).toFixed(1)]
      console.log(`| ${row.extra.label} | ${Math.round(bare)} | ${Math.round(rate(extra))} | **${ratioCell(extra)}** | — | ${extraCpu.join(' | ')} | — | — | — | — |`)
    }
  }
  console.log(`\nload average at end: ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`)

  console.log('### The same comparison inside one process\n')
  console.log(`${PAIR_PROCESSES} fresh process(es) per framework, each serving three apps on three ports: bare, behind a no-op middleware (one that only goes on: what any middleware costs in that framework), and ours (Hono: and ours as protect(handler) on a fourth); ${PAIR_WINDOWS} ${SMOKE ? '50-request' : '1-s'} windows per app, in an order that turns each time; every ratio is the median over the windows of one app ÷ the other's window next to it`)
  console.log(`load average at start: ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`)
  console.log('| framework | bare (requests/s) | ours (requests/s) | ours ÷ bare | ours ÷ bare per process | no-op middleware ÷ bare | ours ÷ no-op middleware | bare CPU µs/request | no-op CPU µs/request | ours CPU µs/request |')
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  for (const row of rows) {
    const PAIR_APPS = ['bare', 'noop', 'ours', ...(row.extra ? [row.extra.app.slice(row.framework.length + 1)] : [])]
    const windows = Object.fromEntries(PAIR_APPS.map((name) => [name, []]))
    const ratios = { oursBare: [], noopBare: [], oursNoop: [] }
    const perProcess = []
    for (let index = 0; index < PAIR_PROCESSES; index++) {
      const server = await start(`${row.framework}-pair`)
      servers.add(server)
      const urls = Object.fromEntries(PAIR_APPS.map((name, position) => [name, server.urls[position]]))
      for (const name of PAIR_APPS) await checkAnswers(`${row.framework}-${name}`, urls[name])
      // Warm-up as above, each app in turn.
      for (const name of PAIR_APPS) await measure(server, 1, urls[name])
      const processRatios = []
      for (let window = 0; window < PAIR_WINDOWS; window++) {
        const measured = {}
        // Turning order, so no app always follows the same other one.
        for (let step = 0; step < PAIR_APPS.length; step++) {
          const name = PAIR_APPS[(window + step) % PAIR_APPS.length]
          measured[name] = await measure(server, 1, urls[name])
          windows[name].push(measured[name])
        }
        if (row.extra) (ratios.extraBare ??= []).push(measured[PAIR_APPS[3]].rate / measured.bare.rate)
        ratios.oursBare.push(measured.ours.rate / measured.bare.rate)
        ratios.noopBare.push(measured.noop.rate / measured.bare.rate)
        ratios.oursNoop.push(measured.ours.rate / measured.noop.rate)
        processRatios.push(measured.ours.rate / measured.bare.rate)
      }
      perProcess.push(median(processRatios).toFixed(2))
      await stop([server])
    }
    const rateOf = (name) => Math.round(median(windows[name].map((window) => window.rate)))
    const cpuOf = (name) => median(windows[name].map((window) => window.cpuPerRequest)).toFixed(1)
    const cells = [rateOf('bare'), rateOf('ours'), `**${median(ratios.oursBare).toFixed(2)}**`, perProcess.join(' '), median(ratios.noopBare).toFixed(2), median(ratios.oursNoop).toFixed(2), cpuOf('bare'), cpuOf('noop'), cpuOf('ours')]
    console.log(`| ${row.framework}${row.via ? ` (${row.via})` : ''} | ${cells.join(' | ')} |`)
    if (row.extra) {
      const name = PAIR_APPS[3]
      console.log(`| ${row.extra.label} | ${rateOf('bare')} | ${rateOf(name)} | **${median(ratios.extraBare).toFixed(2)}** | — | — | — | ${cpuOf('bare')} | — | ${cpuOf(name)} |`)
    }
  }
  console.log(`\nload average at end: ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`)
} finally {
  await stop([...servers])
  jwks.close()
}
