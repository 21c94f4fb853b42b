// How many key-set fetches a verifier makes (1) during a flood of assertions with random, unknown kids and
// (2) when many requests arrive at once before any key is loaded. Counted by a loopback key server; printed
// as a markdown table. Ours next to jose's remote key set under the same load. (jwks-rsa is left out: its
// rate limiter makes a flood of unknown kids wait for request tokens, minutes at this size.)
//   BENCH_FLOOD (default 10000; smoke 200), BENCH_FIRST (default 200; smoke 20), BENCH_SMOKE=1
import { createServer } from 'node:http'
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { createVerifier, loadConfig } from '@mieweb/trusted-proxy-auth'

const SMOKE = process.env.BENCH_SMOKE === '1'
const FLOOD = Number(process.env.BENCH_FLOOD ?? (SMOKE ? 200 : 10_000))
const FIRST = Number(process.env.BENCH_FIRST ?? (SMOKE ? 20 : 200))
const ISSUER = 'https://bench.example'
const AUDIENCE = 'bench'
const NOW_S = Math.floor(Date.now() / 1000)

const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
const jwk = { ...(await exportJWK(publicKey)), kid: 'known', alg: 'ES256', use: 'sig' }
const sign = (kid, sub = 'user') =>
  new SignJWT({ sub }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(NOW_S).setExpirationTime(NOW_S + 3600).sign(privateKey)
// One signature reused under many kids: an unknown kid is refused before any signature is checked.
const known = await sign('known')
const [, payload, signature] = known.split('.')
const withKid = (kid) => `${Buffer.from(JSON.stringify({ alg: 'ES256', kid })).toString('base64url')}.${payload}.${signature}`
const floodTokens = Array.from({ length: FLOOD }, () => withKid(crypto.randomUUID()))

let fetches = 0
const server = createServer((_request, response) => {
  fetches++
  // connection: close: a client reusing a kept-alive socket the server has just timed out gets ECONNRESET (seen
  // aborting a run on a slow host); key fetches are few and never timed, so each takes a connection of its own.
  response.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ keys: [jwk] }))
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const jwksUrl = `http://127.0.0.1:${server.address().port}/jwks.json`

/** Each contender: `create()` a fresh verifier (nothing loaded), `verify(token)` resolving or rejecting. */
const contenders = [
  {
    name: 'ours (verifyAssertion)',
    create: () => {
      const verifier = createVerifier(
        loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'x-bench', TRUSTED_PROXY_JWKS_URL: jwksUrl, TRUSTED_PROXY_ISSUER: ISSUER, TRUSTED_PROXY_AUDIENCE: AUDIENCE }),
        { logger: { debug() {}, info() {}, warn() {}, error() {} } },
      )
      return { verify: (token) => verifier.verifyAssertion(token), close: () => verifier.close() }
    },
  },
  {
    name: 'jose createRemoteJWKSet + jwtVerify',
    create: () => {
      const keys = createRemoteJWKSet(new URL(jwksUrl))
      return { verify: (token) => jwtVerify(token, keys, { issuer: ISSUER, audience: AUDIENCE }), close: () => undefined }
    },
  },
]

const settle = (promise) => promise.then(() => true, () => false)

console.log('## Key-set fetches\n')
console.log(`A loopback key server counts requests. Flood: one verifier, keys loaded, then ${FLOOD} assertions with random unknown kids, 64 at a time. First requests: a fresh verifier, ${FIRST} assertions at once before any key is loaded.\n`)
console.log(`| contender | fetches during the ${FLOOD}-assertion random-kid flood | fetches for ${FIRST} concurrent first requests (all verified?) |`)
console.log('|---|---|---|')
for (const contender of contenders) {
  const flooded = contender.create()
  await flooded.verify(known)
  fetches = 0
  let next = 0
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < floodTokens.length) await settle(flooded.verify(floodTokens[next++]))
    }),
  )
  const floodFetches = fetches
  flooded.close()

  const fresh = contender.create()
  fetches = 0
  const outcomes = await Promise.all(Array.from({ length: FIRST }, () => settle(fresh.verify(known))))
  fresh.close()
  console.log(`| ${contender.name} | ${floodFetches} | ${fetches} (${outcomes.filter(Boolean).length}/${FIRST}) |`)
}
console.log('')
server.close()
