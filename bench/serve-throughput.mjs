// Throughput of `trusted-proxy-auth serve` /verify against a bare node:http handler that answers 200,
// measured in the same run with autocannon on loopback; prints both rates and their ratio (target >= 0.8).
// Each server runs in a child process of its own; autocannon runs here.
// Run: npx turbo run build --filter=@mieweb/trusted-proxy-auth-serve... && node bench/serve-throughput.mjs
// BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 32), BENCH_AMOUNT (a request count instead of a duration).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { BENCH_AUDIENCE, BENCH_ISSUER, benchIssuer, serveKeySet } from './bench-issuer.mjs'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const AMOUNT = process.env.BENCH_AMOUNT === undefined ? undefined : Number(process.env.BENCH_AMOUNT)
const serveBin = fileURLToPath(new URL('../packages/serve/dist/bin.js', import.meta.url))

const { jwk, token } = await benchIssuer('1h')
const jwks = await serveKeySet([jwk])

/** Starts a child that prints its port on the first line of stdout (or as the `port` of a JSON log line). */
async function startChild(args, env) {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  let buffer = ''
  for await (const chunk of child.stdout) {
    buffer += chunk
    const match = /"port":(\d+)|^(\d+)\n/m.exec(buffer)
    if (match) {
      child.stdout.resume()
      return { child, url: `http://127.0.0.1:${match[1] ?? match[2]}` }
    }
  }
  throw new Error(`child exited before listening: ${buffer}`)
}

async function stop(child) {
  child.kill('SIGTERM')
  await once(child, 'exit')
}

async function measure(url, headers) {
  const result = await autocannon({
    url,
    headers,
    connections: CONNECTIONS,
    ...(AMOUNT === undefined ? { duration: SECONDS } : { amount: AMOUNT }),
  })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
  return result.requests.average > 0 ? result.requests.average : result.requests.total / Math.max(result.duration, 0.001)
}

const bare = await startChild(
  ['-e', "const s=require('node:http').createServer((q,r)=>{r.statusCode=200;r.end()});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));process.on('SIGTERM',()=>s.close(()=>process.exit(0)))"],
  {},
)
const serveEnv = {
  TRUSTED_PROXY_ASSERTION_HEADER: 'X-Bench-Assertion',
  TRUSTED_PROXY_JWKS_URL: `http://127.0.0.1:${jwks.address().port}/jwks`,
  TRUSTED_PROXY_ISSUER: BENCH_ISSUER,
  TRUSTED_PROXY_AUDIENCE: BENCH_AUDIENCE,
  TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1',
  TRUSTED_PROXY_SERVE_PORT: '0',
}
const serve = await startChild([serveBin], serveEnv)
// For comparison: every request runs the whole verification, signature included.
const uncached = await startChild([serveBin], { ...serveEnv, TRUSTED_PROXY_CACHE_SIZE: '0' })
try {
  const headers = { 'x-bench-assertion': token }
  await measure(`${serve.url}/verify`, headers) // warm-up: keys loaded, JIT warm
  await measure(bare.url, headers)
  const bareRate = await measure(bare.url, headers)
  const serveRate = await measure(`${serve.url}/verify`, headers)
  await measure(`${uncached.url}/verify`, headers)
  const uncachedRate = await measure(`${uncached.url}/verify`, headers)
  const ratio = serveRate / bareRate
  console.log(`node ${process.version}, ${CONNECTIONS} connections, ${AMOUNT === undefined ? `${SECONDS} s` : `${AMOUNT} requests`} each, RS256, loopback`)
  console.log(`bare node:http 200   ${Math.round(bareRate)} requests/s`)
  console.log(`serve /verify        ${Math.round(serveRate)} requests/s`)
  console.log(`ratio ${ratio.toFixed(2)} (target >= 0.80)`)
  console.log(`serve /verify, TRUSTED_PROXY_CACHE_SIZE=0: ${Math.round(uncachedRate)} requests/s (ratio ${(uncachedRate / bareRate).toFixed(2)}; every request checks the signature)`)
} finally {
  await Promise.all([stop(bare.child), stop(serve.child), stop(uncached.child)])
  jwks.close()
}
