import crypto from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createVerifier, loadConfig } from '/work/wt/perf-ts/packages/core/dist/index.js'
const alg = process.env.ALG ?? 'RS256'
const N = Number(process.env.N ?? 2000)
const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg, use: 'sig' }
const tokens = []
for (let i = 0; i < N; i++) tokens.push(await new SignJWT({ sub: `u${i}`, email: `u${i}@x.com`, groups: ['a','b'] }).setProtectedHeader({ alg, kid: 'k1', typ: 'JWT' }).setIssuer('https://b.example').setAudience('bench').setIssuedAt().setExpirationTime('2h').sign(privateKey))
const v = createVerifier(loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'x-a', TRUSTED_PROXY_JWKS_URL: 'http://127.0.0.1:9/j', TRUSTED_PROXY_ISSUER: 'https://b.example', TRUSTED_PROXY_AUDIENCE: 'bench', TRUSTED_PROXY_CACHE_SIZE: process.env.CS ?? '10000' }), { fetch: async () => new Response(JSON.stringify({ keys: [jwk] })) })
await v.ready()
const ko = crypto.createPublicKey({ key: jwk, format: 'jwk' })
const params = alg === 'EdDSA' ? [null, ko] : alg.startsWith('ES') ? ['sha256', { key: ko, dsaEncoding: 'ieee-p1363' }] : ['sha256', ko]
const floor = (t) => { const [h, p, s] = t.split('.'); const pl = JSON.parse(Buffer.from(p, 'base64url').toString()); if (!(pl.exp > Date.now()/1000) || pl.iss !== 'https://b.example') throw 1; if (!crypto.verify(params[0], Buffer.from(`${h}.${p}`), params[1], Buffer.from(s, 'base64url'))) throw 2; return pl }
let k = 0
async function run(name, f) { const c0 = process.cpuUsage(); for (const t of tokens) await f(t); const c = process.cpuUsage(c0); return N / ((c.user + c.system) / 1e6) }
const mode = process.env.MODE ?? 'both'
for (let round = 0; round < Number(process.env.R ?? 3); round++) {
  const out = []
  if (mode !== 'ours') out.push(['floor', await run('floor', floor)])
  if (mode !== 'floor') { v.close(); out.push(['ours', await run('ours', (t) => v.verifyAssertion(t))]) }
  if (mode === 'both') out.push(['ratio', out[1][1] / out[0][1]])
  console.log(alg, out.map(([n, r]) => `${n}=${r.toFixed(n === 'ratio' ? 2 : 0)}`).join(' '))
}
