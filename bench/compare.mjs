// The verifier against the crypto floor and its peers, in one process, interleaved, as ratios to the floor
// measured in the same run. Prints markdown tables (method: docs/performance.md).
//   node compare.mjs (or npm run bench -- --verify)
//   BENCH_ROUNDS=5 BENCH_TOKENS=500 BENCH_ALGS=RS256,ES256 ...  knobs; BENCH_SMOKE=1 runs a tiny pass that only proves it works
//   BENCH_WARMUP (default 100): unmeasured distinct assertions each fresh contender verifies first
//   BENCH_WARMUP_ROUNDS (default 2): whole rounds run first, unmeasured, per algorithm (the process warmed up)
//   BENCH_MIN_CELL_MS (default 100): a repeated-assertion cell runs at least this long
//   BENCH_BLOCK (default 50): distinct assertions per block in the distinct c=1 cells, where the contenders alternate block by block
//   BENCH_HEAP_ASSERTIONS (default 100000): distinct assertions pushed through one default verifier for the memory line
import crypto from 'node:crypto'
import { createServer } from 'node:http'
import { loadavg } from 'node:os'
import { createLocalJWKSet, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { BENCH_AUDIENCE as AUDIENCE, BENCH_ISSUER as ISSUER, distinctAssertions } from './bench-issuer.mjs'
import { createVerifier as createFastJwtVerifier } from 'fast-jwt'
import jsonwebtoken from 'jsonwebtoken'
import { JwtVerifier } from 'aws-jwt-verify'
import { createVerifier, loadConfig } from '@mieweb/trusted-proxy-auth'

const SMOKE = process.env.BENCH_SMOKE === '1'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (SMOKE ? 1 : 5))
const TOKENS = Number(process.env.BENCH_TOKENS ?? (SMOKE ? 8 : 3000))
const ALGORITHMS = (process.env.BENCH_ALGS ?? 'RS256,ES256,EdDSA').split(',')
// BENCH_CLOCK=cpu: rates per second of this process's CPU time (every thread, the thread pool's too) instead of
// wall time: the cost of a verification, far less disturbed by other jobs, but blind to what a second core adds.
const CPU_CLOCK = process.env.BENCH_CLOCK === 'cpu'
const WARMUP = Number(process.env.BENCH_WARMUP ?? (SMOKE ? 1 : 100))
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? (SMOKE ? 0 : 2))
const MIN_CELL_MS = Number(process.env.BENCH_MIN_CELL_MS ?? (SMOKE ? 0 : 100))
const BLOCK = Number(process.env.BENCH_BLOCK ?? 50)
// 0 or a fraction would walk the tokens forever or twice.
if (!Number.isInteger(BLOCK) || BLOCK < 1) throw new Error(`BENCH_BLOCK must be a whole number of assertions, at least 1 (got ${process.env.BENCH_BLOCK})`)
const HEAP_ASSERTIONS = Number(process.env.BENCH_HEAP_ASSERTIONS ?? (SMOKE ? 200 : 100_000))
/** What a Node server hands the adapter: the request's headers as node:http parses them. */
const requestHeaders = (token) => ({
  host: 'app.example',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) bench',
  accept: 'text/html,application/xhtml+xml',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-US,en;q=0.9',
  connection: 'keep-alive',
  'x-forwarded-for': '203.0.113.7',
  'x-forwarded-proto': 'https',
  [HEADER]: token,
})
const CONCURRENCIES = [1, 64]
const HEADER = 'x-bench-assertion'
// Never fetched: our verifiers get the key set through an injected fetch.
const KEYS_URL = 'http://127.0.0.1:2/jwks.json'

const now = () => Math.floor(Date.now() / 1000)

async function keysFor(alg) {
  // WARMUP more than measured: each fresh contender verifies those first, unmeasured (keys imported, code
  // optimised), as a long-running server would have.
  const { jwk, assertions: tokens } = await distinctAssertions(alg, TOKENS + WARMUP)
  const warmups = tokens.splice(TOKENS)
  return { jwk, tokens, warmup: warmups[0], warmups, pem: crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) }
}

/** node:crypto parameters of the floor: the same a hand-written verifier would pass. */
function floorParameters(alg, keyObject) {
  if (alg === 'EdDSA') return [null, keyObject]
  if (alg.startsWith('ES')) return [`sha${alg.slice(2)}`, { key: keyObject, dsaEncoding: 'ieee-p1363' }]
  return [`sha${alg.slice(2)}`, keyObject]
}

function floorClaims(token) {
  const [h, p] = token.split('.')
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))
  const t = now()
  if (!(payload.exp > t) || payload.iss !== ISSUER || !(payload.aud === AUDIENCE || (Array.isArray(payload.aud) && payload.aud.includes(AUDIENCE)))) throw new Error('claims')
  return { h, p, payload }
}

/** A loopback key server for jose's remote key set. */
async function serveKeySet(jwks) {
  // connection: close: a client reusing a kept-alive socket the server has just timed out gets ECONNRESET (seen
  // aborting a run on a slow host); key fetches are few and never timed, so each takes a connection of its own.
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(jwks)))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${server.address().port}/jwks.json`, close: () => server.close() }
}

/**
 * Each contender: `fresh()` builds its state for one round (so a cache starts empty), returning `verify(token)`.
 * Our verifiers are not closed after their cell: a long-running server keeps its verifier, and closed verifiers
 * collected before a cell (the heap is collected before each) made the next cells of ours slower (RS256 c=64
 * 0.77-0.96 against 1.04-1.31, repeated 37-52x against 62-65x in five runs and three), as if the optimised code of
 * the verifier's functions were dropped with them. Their refresh timers are unref'd: nothing waits on them.
 */
async function contendersFor(alg, { jwk, pem, warmup }, keyServer) {
  const keyObject = crypto.createPublicKey({ key: jwk, format: 'jwk' })
  const [digest, keyInput] = floorParameters(alg, keyObject)
  const floorSync = (token) => {
    const { h, p, payload } = floorClaims(token)
    const signature = Buffer.from(token.slice(h.length + p.length + 2), 'base64url')
    if (!crypto.verify(digest, Buffer.from(`${h}.${p}`), keyInput, signature)) throw new Error('signature')
    return payload
  }
  const floorAsync = (token) => {
    const { h, p, payload } = floorClaims(token)
    const signature = Buffer.from(token.slice(h.length + p.length + 2), 'base64url')
    return new Promise((resolve, reject) =>
      crypto.verify(digest, Buffer.from(`${h}.${p}`), keyInput, signature, (error, ok) => (error || !ok ? reject(error ?? new Error('signature')) : resolve(payload))),
    )
  }
  const jwks = { keys: [jwk] }
  const ours = async (cacheSize) => {
    const verifier = createVerifier(
      loadConfig({
        TRUSTED_PROXY_ASSERTION_HEADER: HEADER,
        TRUSTED_PROXY_JWKS_URL: KEYS_URL,
        TRUSTED_PROXY_ISSUER: ISSUER,
        TRUSTED_PROXY_AUDIENCE: AUDIENCE,
        TRUSTED_PROXY_CACHE_SIZE: String(cacheSize),
        TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1',
      }),
      { fetch: async () => new Response(JSON.stringify(jwks), { headers: { 'content-type': 'application/json' } }) },
    )
    await verifier.ready()
    return verifier
  }
  const localSet = createLocalJWKSet(jwks)
  const fastJwtKey = pem
  const contenders = [
    { name: 'floor: node:crypto sync', fresh: async () => floorSync },
    { name: 'floor: node:crypto async (thread pool)', fresh: async () => floorAsync },
    {
      name: 'ours verifyAssertion',
      fresh: async () => {
        const verifier = await ours(10_000)
        return (token) => verifier.verifyAssertion(token)
      },
    },
    {
      name: 'ours verifyRequest',
      fresh: async () => {
        const verifier = await ours(10_000)
        return (token) => verifier.verifyRequest({ headers: requestHeaders(token), remoteAddress: '127.0.0.1' })
      },
    },
    {
      name: 'ours verifyAssertion, cache off',
      fresh: async () => {
        const verifier = await ours(0)
        return (token) => verifier.verifyAssertion(token)
      },
    },
    { name: 'jose jwtVerify (local set)', fresh: async () => (token) => jwtVerify(token, localSet, { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] }) },
    {
      name: 'jose jwtVerify (remote set, loopback)',
      fresh: async () => {
        const remoteSet = createRemoteJWKSet(new URL(keyServer.url))
        await jwtVerify(warmup, remoteSet, { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] })
        return (token) => jwtVerify(token, remoteSet, { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] })
      },
    },
    { name: 'fast-jwt', fresh: async () => createFastJwtVerifier({ key: fastJwtKey, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE }) },
    { name: 'fast-jwt (cache)', fresh: async () => createFastJwtVerifier({ key: fastJwtKey, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: 10_000 }) },
  ]
  if (alg !== 'EdDSA') {
    contenders.push({ name: 'jsonwebtoken', fresh: async () => (token) => jsonwebtoken.verify(token, fastJwtKey, { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }) })
  }
  // aws-jwt-verify supports RS256/384/512, ES256/384/512 and EdDSA; it fetches over https only, so its key set
  // is handed over with cacheJwks (what a hydrated verifier holds), then verifySync.
  contenders.push({
    name: 'aws-jwt-verify',
    fresh: async () => {
      const verifier = JwtVerifier.create({ issuer: ISSUER, audience: AUDIENCE, jwksUri: 'https://bench.example/jwks.json' })
      verifier.cacheJwks(jwks)
      return (token) => verifier.verifySync(token)
    },
  })
  return contenders
}

/**
 * Verifications per second of one round: every token once (distinct), or the first token as often and then
 * on until the cell has run BENCH_MIN_CELL_MS (repeated: a cache answers a thousand in well under a
 * millisecond, too short a window to time).
 */
async function measure(verify, tokens, repeated, concurrency) {
  let done = 0
  const started = performance.now()
  const cpuStarted = process.cpuUsage()
  const more = () => done < tokens.length || (repeated && performance.now() - started < MIN_CELL_MS)
  const worker = async () => {
    while (more()) {
      const token = repeated ? tokens[0] : tokens[done]
      done++
      await verify(token)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  if (CPU_CLOCK) {
    const { user, system } = process.cpuUsage(cpuStarted)
    return (done / (user + system)) * 1e6
  }
  return (done / (performance.now() - started)) * 1000
}

/**
 * Verifications per second at concurrency 1 over distinct assertions, of every contender at once: the tokens are
 * walked in blocks of BENCH_BLOCK, every contender verifies each block in turn, and a contender's time is summed
 * over its blocks. The host's speed drifts within seconds, so a contender timed a second after the floor met
 * another machine: per-round ratios of one code to the floor scattered 0.43-1.37 (RS256) with contiguous cells,
 * 0.80-0.92 in blocks of 50. The order changes each block (drawn from the round and the block, the same in every
 * run), so that no contender always follows the same one. Returns each contender's rate, keyed by contender.
 */
async function measureInBlocks(contenders, tokens, warmups, round) {
  const timings = []
  for (const contender of shuffled(contenders, round)) {
    const verify = await contender.fresh()
    for (const token of warmups) await verify(token)
    timings.push({ contender, verify, elapsed: 0, verified: 0 })
  }
  // Once for the round, not per block: the garbage a block leaves is paid by whichever contender runs next, and the
  // order changing each block spreads that over them.
  globalThis.gc?.()
  // Milliseconds of wall clock, or of this process's CPU time (every thread) with BENCH_CLOCK=cpu.
  const clock = CPU_CLOCK
    ? () => {
        const { user, system } = process.cpuUsage()
        return (user + system) / 1000
      }
    : () => performance.now()
  const blockCount = Math.ceil(tokens.length / BLOCK)
  for (let block = 0; block < blockCount; block++) {
    const blockTokens = tokens.slice(block * BLOCK, (block + 1) * BLOCK)
    for (const timing of shuffled(timings, round * blockCount + block)) {
      const started = clock()
      for (const token of blockTokens) await timing.verify(token)
      timing.elapsed += clock() - started
      timing.verified += blockTokens.length
    }
  }
  return new Map(timings.map(({ contender, elapsed, verified }) => [contender, (verified / elapsed) * 1000]))
}

/** `items` in an order drawn from `seed` (Fisher-Yates on a small linear congruential generator): the same in every run. */
function shuffled(items, seed) {
  const order = [...items]
  let state = (seed + 1000) * 2654435761
  for (let i = order.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    const j = state % (i + 1)
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  return order
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

console.log(`# Verifier benchmark\n`)
console.log(`node ${process.version}, ${ROUNDS} interleaved rounds of ${TOKENS} verifications per cell after ${WARMUP_ROUNDS} unmeasured, contenders in an order shuffled each round${globalThis.gc ? ', the heap collected before each cell' : ''}; distinct assertions at c=1 alternate the contenders in blocks of ${BLOCK} (an order shuffled each block, each contender's time summed over its blocks${globalThis.gc ? ', the heap collected once before the blocks' : ''}); a cell is the median over rounds of verifications per ${CPU_CLOCK ? 'CPU' : 'wall-clock'} second ÷ the sync floor's (c=1) in the same round, "rounds" their lowest and highest`)
console.log(`load average at start: ${loadavg().map((v) => v.toFixed(2)).join(' ')}\n`)
for (const alg of ALGORITHMS) {
  const material = await keysFor(alg)
  const keyServer = await serveKeySet({ keys: [material.jwk] })
  const contenders = await contendersFor(alg, material, keyServer)
  for (const repeated of [false, true]) {
    const rates = new Map()
    for (const concurrency of CONCURRENCIES) for (const contender of contenders) rates.set(`${contender.name}@${concurrency}`, [])
    // Rounds below 0 warm the process up and are not kept: a long-running server has its code optimised and any
    // lazily started machinery (our signature workers start after some hundreds of verifications many in flight) running.
    for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
      for (const concurrency of CONCURRENCIES) {
        if (!repeated && concurrency === 1) {
          const blockRates = await measureInBlocks(contenders, material.tokens, material.warmups, round)
          if (round >= 0) for (const contender of contenders) rates.get(`${contender.name}@1`).push(blockRates.get(contender))
          continue
        }
        // Contiguous cells at c=64: a burst of 64 in flight needs a longer stretch than a block to reach its steady
        // state (the thread pool, our signature worker). The repeated cells, not tried in blocks, keep them too.
        // A contender pays for what the one before it left (garbage to collect, threads to wake): the order is
        // shuffled each round (the same shuffles in every run), and the heap collected before each cell.
        for (const contender of shuffled(contenders, round)) {
          const verify = await contender.fresh()
          for (const token of material.warmups) await verify(token)
          // Twice: our cache takes an assertion in at its second success; the misses of a session are left out.
          if (repeated) for (let i = 0; i < 2; i++) await verify(material.tokens[0])
          globalThis.gc?.()
          const rate = await measure(verify, material.tokens, repeated, concurrency)
          if (round >= 0) rates.get(`${contender.name}@${concurrency}`).push(rate)
        }
      }
    }
    const floorRates = rates.get(`${contenders[0].name}@1`)
    // Each round's rate over the floor's in the same round: the rounds are interleaved so that a host slowing
    // down for a minute slows both sides of a ratio; the median of those ratios, and their spread.
    const ratios = (key) => rates.get(key).map((rate, round) => rate / floorRates[round])
    console.log(`## ${alg}, ${repeated ? 'repeated assertion' : 'distinct assertions'} (floor: ${Math.round(median(floorRates))} verifications/s)\n`)
    console.log(`| contender | ${CONCURRENCIES.map((c) => `c=${c}`).join(' | ')} | ${CONCURRENCIES.map((c) => `c=${c} rounds`).join(' | ')} |`)
    console.log(`|---|${CONCURRENCIES.map(() => '---|---').join('|')}|`)
    for (const contender of contenders) {
      const cells = CONCURRENCIES.map((c) => `${median(ratios(`${contender.name}@${c}`)).toFixed(2)}×`)
      const spreads = CONCURRENCIES.map((c) => {
        const values = ratios(`${contender.name}@${c}`)
        return `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`
      })
      console.log(`| ${contender.name} | ${cells.join(' | ')} | ${spreads.join(' | ')} |`)
    }
    console.log('')
  }
  keyServer.close()
}

// Memory: distinct assertions, each verified twice (so each is taken in), through one verifier with the default
// cache (TRUSTED_PROXY_CACHE_SIZE 10,000).
{
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'heap', alg: 'EdDSA' }
  const verifier = createVerifier(
    loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: HEADER, TRUSTED_PROXY_JWKS_URL: KEYS_URL, TRUSTED_PROXY_ISSUER: ISSUER, TRUSTED_PROXY_AUDIENCE: AUDIENCE }),
    { fetch: async () => new Response(JSON.stringify({ keys: [jwk] }), { headers: { 'content-type': 'application/json' } }) },
  )
  await verifier.ready()
  globalThis.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const signer = crypto.createPrivateKey({ key: await exportJWK(privateKey), format: 'jwk' })
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'heap' })).toString('base64url')
  const exp = now() + 7200
  for (let i = 0; i < HEAP_ASSERTIONS; i++) {
    const payload = Buffer.from(JSON.stringify({ sub: `user-${i}`, email: `user-${i}@example.com`, groups: ['a', 'b'], iss: ISSUER, aud: AUDIENCE, iat: now(), exp })).toString('base64url')
    const assertion = `${header}.${payload}.${crypto.sign(null, Buffer.from(`${header}.${payload}`), signer).toString('base64url')}`
    // Twice each: the cache takes an assertion in at its second success, so this fills it to its bound.
    await verifier.verifyAssertion(assertion)
    await verifier.verifyAssertion(assertion)
  }
  globalThis.gc?.()
  const { size } = verifier.cacheCounts()
  console.log(`## Memory\n`)
  console.log(`${HEAP_ASSERTIONS} distinct EdDSA assertions, each verified twice, through one verifier with the default cache: ${size} entries held (bound 10000), heap grew by ${((process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024).toFixed(1)} MiB${globalThis.gc ? '' : ' (run node with --expose-gc for an exact figure)'}\n`)
  verifier.close()
}
console.log(`load average at end: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`)
