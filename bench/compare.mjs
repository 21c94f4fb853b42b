// The verifier against the crypto floor and its peers, in one process, interleaved, as ratios to the floor
// measured in the same run. Prints markdown tables (method: docs/performance.md).
//   npm run bench                       full run
//   BENCH_ROUNDS=5 BENCH_TOKENS=500 ...  knobs; BENCH_SMOKE=1 runs a tiny pass that only proves it works
import crypto from 'node:crypto'
import { loadavg } from 'node:os'
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { createVerifier as createFastJwtVerifier } from 'fast-jwt'
import jsonwebtoken from 'jsonwebtoken'
import { JwtRsaVerifier } from 'aws-jwt-verify'
import { createVerifier, loadConfig } from '@mieweb/trusted-proxy-auth'

const SMOKE = process.env.BENCH_SMOKE === '1'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (SMOKE ? 1 : 5))
const TOKENS = Number(process.env.BENCH_TOKENS ?? (SMOKE ? 8 : 400))
const ALGORITHMS = (process.env.BENCH_ALGS ?? 'RS256,ES256,EdDSA').split(',')
const CONCURRENCIES = [1, 64]
const ISSUER = 'https://bench.example'
const AUDIENCE = 'bench'
const HEADER = 'x-bench-assertion'

const now = () => Math.floor(Date.now() / 1000)

async function keysFor(alg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: `${alg}-1`, alg, use: 'sig' }
  const tokens = []
  for (let i = 0; i < TOKENS; i++) {
    tokens.push(
      await new SignJWT({ sub: `user-${i}`, email: `user-${i}@example.com`, groups: ['a', 'b'] })
        .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(privateKey),
    )
  }
  return { jwk, tokens, pem: crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) }
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

/** Each contender: `fresh()` builds its state for one round (so a cache starts empty), returning `verify(token)`. */
async function contendersFor(alg, { jwk, pem }) {
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
        TRUSTED_PROXY_JWKS_URL: 'http://127.0.0.1:2/jwks.json',
        TRUSTED_PROXY_ISSUER: ISSUER,
        TRUSTED_PROXY_AUDIENCE: AUDIENCE,
        TRUSTED_PROXY_CACHE_SIZE: String(cacheSize),
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
        return (token) => verifier.verifyRequest({ headers: [[HEADER, token]], remoteAddress: '127.0.0.1' })
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
    { name: 'fast-jwt', fresh: async () => createFastJwtVerifier({ key: fastJwtKey, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE }) },
    { name: 'fast-jwt (cache)', fresh: async () => createFastJwtVerifier({ key: fastJwtKey, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: 10_000 }) },
  ]
  if (alg !== 'EdDSA') {
    contenders.push({ name: 'jsonwebtoken', fresh: async () => (token) => jsonwebtoken.verify(token, fastJwtKey, { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }) })
  }
  if (alg === 'RS256') {
    contenders.push({
      name: 'aws-jwt-verify',
      fresh: async () => {
        const verifier = JwtRsaVerifier.create({ issuer: ISSUER, audience: AUDIENCE, jwksUri: 'http://127.0.0.1:9/jwks.json' })
        verifier.cacheJwks(jwks)
        return (token) => verifier.verifySync(token)
      },
    })
  }
  return contenders
}

/** Verifications per second of one round: every token once (distinct) or the first token as often (repeated). */
async function measure(verify, tokens, repeated, concurrency) {
  const total = tokens.length
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < total) {
      const token = repeated ? tokens[0] : tokens[next]
      next++
      await verify(token)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return (total / (performance.now() - started)) * 1000
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

console.log(`# Verifier benchmark\n`)
console.log(`node ${process.version}, ${ROUNDS} interleaved rounds of ${TOKENS} verifications per cell, median; ratio = verifications/s ÷ the sync floor's in the same round set`)
console.log(`load average at start: ${loadavg().map((v) => v.toFixed(2)).join(' ')}\n`)
for (const alg of ALGORITHMS) {
  const material = await keysFor(alg)
  const contenders = await contendersFor(alg, material)
  for (const repeated of [false, true]) {
    const rates = new Map()
    for (const concurrency of CONCURRENCIES) for (const contender of contenders) rates.set(`${contender.name}@${concurrency}`, [])
    for (let round = 0; round < ROUNDS; round++) {
      for (const concurrency of CONCURRENCIES) {
        for (const contender of contenders) {
          const verify = await contender.fresh()
          if (repeated) await verify(material.tokens[0])
          rates.get(`${contender.name}@${concurrency}`).push(await measure(verify, material.tokens, repeated, concurrency))
        }
      }
    }
    const floor = median(rates.get(`${contenders[0].name}@1`))
    console.log(`## ${alg}, ${repeated ? 'repeated assertion' : 'distinct assertions'} (floor: ${Math.round(floor)} verifications/s)\n`)
    console.log(`| contender | ${CONCURRENCIES.map((c) => `c=${c}`).join(' | ')} |`)
    console.log(`|---|${CONCURRENCIES.map(() => '---').join('|')}|`)
    for (const contender of contenders) {
      const cells = CONCURRENCIES.map((c) => `${(median(rates.get(`${contender.name}@${c}`)) / floor).toFixed(2)}×`)
      console.log(`| ${contender.name} | ${cells.join(' | ')} |`)
    }
    console.log('')
  }
}
console.log(`load average at end: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`)
