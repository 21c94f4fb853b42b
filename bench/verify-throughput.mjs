// Prints how many assertions per second one verifier checks, per algorithm, after keys are cached.
// Run: npm run build -w @mieweb/trusted-proxy-auth && node bench/verify-throughput.mjs
import { createServer } from 'node:http'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createVerifier, loadConfig } from '../packages/core/dist/index.js'

const ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA']
const DURATION_MS = Number(process.env.BENCH_MS ?? 1500)
const members = []
const tokens = {}
for (const alg of ALGORITHMS) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  members.push({ ...(await exportJWK(publicKey)), kid: alg, alg })
  tokens[alg] = await new SignJWT({ sub: 'bench', email: 'bench@example.com', groups: ['a', 'b'] })
    .setProtectedHeader({ alg, kid: alg })
    .setIssuer('https://bench.example')
    .setAudience('bench')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey)
}
const server = createServer((_req, res) => res.end(JSON.stringify({ keys: members })))
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const verifier = createVerifier(
  loadConfig({
    TRUSTED_PROXY_ASSERTION_HEADER: 'X-Bench',
    TRUSTED_PROXY_JWKS_URL: `http://127.0.0.1:${server.address().port}/jwks`,
    TRUSTED_PROXY_ISSUER: 'https://bench.example',
    TRUSTED_PROXY_AUDIENCE: 'bench',
  }),
)
await verifier.ready()
console.log(`node ${process.version}, ${DURATION_MS} ms per algorithm, one verifier, sequential`)
for (const alg of ALGORITHMS) {
  const headers = [['x-bench', tokens[alg]]]
  for (let i = 0; i < 200; i++) await verifier.verifyRequest({ headers }) // warm-up
  let count = 0
  const started = performance.now()
  while (performance.now() - started < DURATION_MS) {
    await verifier.verifyRequest({ headers })
    count++
  }
  const elapsed = performance.now() - started
  console.log(`${alg.padEnd(6)} ${Math.round((count / elapsed) * 1000).toString().padStart(7)} verifications/s  ${((elapsed / count) * 1000).toFixed(1).padStart(7)} µs each`)
}
console.log(`key set requests: ${verifier.status().fetchCount}`)
verifier.close()
server.close()
