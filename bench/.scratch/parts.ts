import crypto from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { parseCompactJws } from '../../packages/core/src/compact-jws.js'
import { checkClaims } from '../../packages/core/src/claims.js'
import { mapIdentity } from '../../packages/core/src/identity.js'
import { loadConfig } from '../../packages/core/src/config.js'
import { activeQuirks } from '../../packages/core/src/quirks/active-quirks.js'
import { LRUCache } from 'lru-cache'
const N = 20000
const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
const tokens: string[] = []
for (let i = 0; i < N; i++) tokens.push(await new SignJWT({ sub: `u${i}`, email: `u${i}@x.com`, groups: ['a','b'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' }).setIssuer('https://b.example').setAudience('bench').setIssuedAt().setExpirationTime('2h').sign(privateKey))
const config = loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'x-a', TRUSTED_PROXY_JWKS_URL: 'http://127.0.0.1:9/j', TRUSTED_PROXY_ISSUER: 'https://b.example', TRUSTED_PROXY_AUDIENCE: 'bench' })
const quirks = activeQuirks(config)
function time(name: string, f: (t: string, i: number) => unknown) {
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage(); let i = 0; for (const t of tokens) f(t, i++); const c = process.cpuUsage(c0)
    if (r === 2) console.log(name.padEnd(30), ((c.user + c.system) / N).toFixed(2), 'µs')
  }
}
const parsed = tokens.map((t) => parseCompactJws(t)!)
const now = Date.now() / 1000
time('floor parse (JSON.parse+b64)', (t) => { const [h, p, s] = t.split('.'); JSON.parse(Buffer.from(h!, 'base64url').toString()); JSON.parse(Buffer.from(p!, 'base64url').toString()); Buffer.from(s!, 'base64url') })
time('floor parse payload only', (t) => { const [, p, s] = t.split('.'); JSON.parse(Buffer.from(p!, 'base64url').toString()); Buffer.from(s!, 'base64url') })
time('parseCompactJws', (t) => parseCompactJws(t))
time('checkClaims', (_t, i) => checkClaims({ header: parsed[i]!.protectedHeader, payload: parsed[i]!.payload }, config, quirks, now))
const checked = parsed.map((p) => checkClaims({ header: p.protectedHeader, payload: p.payload }, config, quirks, now))
time('mapIdentity', (_t, i) => mapIdentity(parsed[i]!.payload, checked[i]!, config, false))
const lru = new LRUCache<string, object>({ max: 10000 })
time('lru set', (t) => lru.set(t, { a: 1 }))
time('promise resolve+then', () => Promise.resolve(1).then(() => 1))
time('signing input buffer', (t) => Buffer.from(t.slice(0, t.lastIndexOf('.')), 'latin1'))
import { jsonShape, parseStrictJsonObject } from '../../packages/core/src/json-strict.js'
import { decodeCanonicalBase64url } from '../../packages/core/src/compact-jws.js'
const payloads = tokens.map((t) => Buffer.from(t.split('.')[1]!, 'base64url').toString())
time('jsonShape payload', (_t, i) => jsonShape(payloads[i]!))
time('JSON.parse payload', (_t, i) => JSON.parse(payloads[i]!))
time('parseStrict payload', (_t, i) => parseStrictJsonObject(payloads[i]!, 32))
time('decodeCanonical ×3', (t) => { const [h, p, s] = t.split('.'); decodeCanonicalBase64url(h!); decodeCanonicalBase64url(p!); decodeCanonicalBase64url(s!) })
time('Buffer.from ×3', (t) => { const [h, p, s] = t.split('.'); Buffer.from(h!, 'base64url'); Buffer.from(p!, 'base64url'); Buffer.from(s!, 'base64url') })
const { isAscii } = await import('node:buffer')
const pb = tokens.map((t) => Buffer.from(t.split('.')[1]!, 'base64url'))
time('isAscii+latin1', (_t, i) => { isAscii(pb[i]!); pb[i]!.toString('latin1') })
time('toString utf8', (_t, i) => pb[i]!.toString('utf8'))
const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
time('TextDecoder', (_t, i) => td.decode(pb[i]!))
