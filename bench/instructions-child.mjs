// One contender verifying COUNT assertions from ASSERTIONS_FILE, for instructions.mjs to run under callgrind twice
// (two counts: their difference is the steady cost of one verification, start-up and JIT warm-up cancelled out).
//   CONTENDER: floor | ours | ours-cache-off | ours-hit (one assertion over and over through verifyRequestNow)
// Every verdict is checked: a contender that failed would count instructions of an error path.
import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createVerifier, loadConfig } from '@mieweb/trusted-proxy-auth'

const { alg, jwk, issuer, audience, assertions } = JSON.parse(readFileSync(process.env.ASSERTIONS_FILE, 'utf8'))
const COUNT = Number(process.env.COUNT)
const CONTENDER = process.env.CONTENDER

const keyObject = crypto.createPublicKey({ key: jwk, format: 'jwk' })
const digest = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`
const keyInput = alg.startsWith('ES') ? { key: keyObject, dsaEncoding: 'ieee-p1363' } : keyObject
/** The floor of compare.mjs: node:crypto on a KeyObject, JSON.parse, and the exp, iss and aud comparisons. */
function floor(token) {
  const [h, p] = token.split('.')
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))
  const now = Math.floor(Date.now() / 1000)
  if (!(payload.exp > now) || payload.iss !== issuer || payload.aud !== audience) throw new Error('claims')
  const signature = Buffer.from(token.slice(h.length + p.length + 2), 'base64url')
  if (!crypto.verify(digest, Buffer.from(`${h}.${p}`), keyInput, signature)) throw new Error('signature')
  return payload
}

async function ours(cacheSize) {
  const verifier = createVerifier(
    loadConfig({
      TRUSTED_PROXY_ASSERTION_HEADER: 'x-bench-assertion',
      TRUSTED_PROXY_JWKS_URL: 'http://127.0.0.1:2/jwks.json',
      TRUSTED_PROXY_ISSUER: issuer,
      TRUSTED_PROXY_AUDIENCE: audience,
      TRUSTED_PROXY_CACHE_SIZE: String(cacheSize),
      TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1',
    }),
    { fetch: async () => new Response(JSON.stringify({ keys: [jwk] }), { headers: { 'content-type': 'application/json' } }) },
  )
  await verifier.ready()
  return verifier
}

let verify
if (CONTENDER === 'floor') verify = async (token) => floor(token)
else if (CONTENDER === 'ours' || CONTENDER === 'ours-cache-off') {
  const verifier = await ours(CONTENDER === 'ours' ? 10_000 : 0)
  verify = (token) => verifier.verifyAssertion(token)
} else if (CONTENDER === 'ours-hit') {
  const verifier = await ours(10_000)
  // What a Node adapter hands over: the flat rawHeaders list and the socket's address.
  const request = { headers: ['Host', 'app.example', 'User-Agent', 'bench', 'Accept', '*/*', 'x-bench-assertion', assertions[0]], remoteAddress: '127.0.0.1' }
  // Twice: the cache takes an assertion in from its second success.
  await verifier.verifyRequest(request)
  await verifier.verifyRequest(request)
  verify = (_token) => verifier.verifyRequestNow(request)
} else throw new Error(`unknown CONTENDER ${CONTENDER}`)

// Distinct assertions in turn (the file holds more than the larger count of ours, whose cache then never hits
// within a run); a verdict given at once is not awaited, as an adapter would not.
let verified = 0
for (let i = 0; i < COUNT; i++) {
  let verdict = verify(assertions[i % assertions.length])
  if (verdict instanceof Promise) verdict = await verdict
  if (verdict === null || typeof verdict !== 'object') throw new Error(`${CONTENDER}: no identity for assertion ${i}`)
  verified++
}
console.log(`${CONTENDER}: ${verified} verified`)
