// In-process CPU time of a cache hit through Hono, in each form of our adapter: no server and no socket, each
// app's fetch called with one prepared request and @hono/node-server's bindings (the Node request's rawHeaders and
// socket address, as the adapter reads them under a real server), the same valid assertion every time. Apps: the
// bare hello route; behind a middleware that only goes on (what any middleware costs in Hono: a composed route);
// behind ours as middleware (app.use); and ours as the route's only handler (auth.protect(handler)), which Hono runs
// without composing. Rounds are interleaved (the order turns each round); a cell is the median over rounds of the
// process's CPU time (user + system) per request, and "added" its difference to the bare app's. This is the part of
// http-throughput.mjs's CPU column that is Hono's and ours, without the HTTP server's and the kernel's (which a real
// request adds to every app alike), and far steadier on a shared machine. Every answer is checked (200, then the
// hello body once).
//   BENCH_HIT_ROUNDS (default 7), BENCH_HIT_CALLS (default 100000 per measurement); BENCH_SMOKE=1: a tiny pass
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { BENCH_AUDIENCE, BENCH_ISSUER, benchIssuer } from './bench-issuer.mjs'

const SMOKE = process.env.BENCH_SMOKE === '1'
const ROUNDS = Number(process.env.BENCH_HIT_ROUNDS ?? (SMOKE ? 1 : 7))
const CALLS = Number(process.env.BENCH_HIT_CALLS ?? (SMOKE ? 200 : 100_000))
const HEADER = 'x-bench-assertion'

// @hono/node-server puts its lighter Request and Response in the globals when it builds a listener: as under serve().
getRequestListener(() => new Response(null))

const { jwk, token } = await benchIssuer()
const { trustedProxyAuth } = await import('@mieweb/trusted-proxy-auth-hono')
const auth = trustedProxyAuth({
  env: {
    TRUSTED_PROXY_ASSERTION_HEADER: HEADER,
    TRUSTED_PROXY_JWKS: JSON.stringify({ keys: [jwk] }),
    TRUSTED_PROXY_ISSUER: BENCH_ISSUER,
    TRUSTED_PROXY_AUDIENCE: BENCH_AUDIENCE,
    // The per-request policy runs on every hit too.
    TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1',
  },
})
await auth.verifier?.ready()

const hello = (c) => c.text('hello')
const apps = {
  bare: new Hono().get('/', hello),
  'no-op middleware': new Hono().use((_c, next) => next()).get('/', hello),
  'ours, middleware (app.use)': new Hono().use(auth).get('/', hello),
  'ours, protect(handler)': new Hono().get('/', auth.protect(hello)),
}
const request = new Request('http://127.0.0.1:3000/', { headers: { [HEADER]: token } })
const bindings = { incoming: { rawHeaders: ['Host', '127.0.0.1:3000', HEADER, token, 'User-Agent', 'autocannon'], socket: { remoteAddress: '127.0.0.1' } } }

/** CPU ns per request over `calls` requests. */
async function measure(app, calls) {
  const started = process.cpuUsage()
  for (let i = 0; i < calls; i++) {
    const response = await app.fetch(request, bindings)
    if (response.status !== 200) throw new Error(`answered ${response.status}`)
  }
  const { user, system } = process.cpuUsage(started)
  return ((user + system) * 1000) / calls
}

const names = Object.keys(apps)
for (const name of names) {
  const response = await apps[name].fetch(request, bindings)
  if ((await response.text()) !== 'hello') throw new Error(`${name}: not the hello answer`)
  // Twice more: our cache takes an assertion in at its second success; then warm.
  await measure(apps[name], SMOKE ? 2 : 20_000)
}
const timings = new Map(names.map((name) => [name, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (let step = 0; step < names.length; step++) {
    const name = names[(round + step) % names.length]
    timings.get(name).push(await measure(apps[name], CALLS))
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const bare = median(timings.get('bare'))
console.log('## Hono: CPU per request of a cache hit, in-process (no socket)\n')
console.log(`node ${process.version}, ${ROUNDS} rounds of ${CALLS} requests per app, turning order; medians over rounds\n`)
console.log('| app | CPU ns/request | added to bare (ns) |')
console.log('|---|---|---|')
for (const name of names) {
  const cpu = median(timings.get(name))
  console.log(`| ${name} | ${Math.round(cpu)} | ${name === 'bare' ? '—' : Math.round(cpu - bare)} |`)
}
auth.verifier?.close()
