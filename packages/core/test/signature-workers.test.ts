import { spawn } from 'node:child_process'
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseCompactJws, type ParsedCompactJws } from '../src/compact-jws.js'
import { createVerifier, loadConfig } from '../src/index.js'
import { nodeSignatureVerifies } from '../src/node-signature.js'
import {
  forceSignaturePath,
  signatureWorkerCounts,
  signatureWorkersRunning,
  startSignatureWorkers,
  stopSignatureWorkers,
  verifiedWithWorker,
  WORKER_START_AFTER,
} from '../src/signature-workers.js'

// The signature workers (src/signature-workers.ts): verdicts equal to the synchronous check whoever gives
// them, nothing lost when a worker ends, started only under sustained concurrency, never keeping a process
// alive. The vectors and Wycheproof run through them too (vectors.test.ts, wycheproof-runner.ts).

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const
type Algorithm = (typeof ALGORITHMS)[number]

function keyPairFor(alg: Algorithm): { publicKey: KeyObject; privateKey: KeyObject } {
  if (alg === 'RS256' || alg === 'PS256') return generateKeyPairSync('rsa', { modulusLength: 2048 })
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  if (alg === 'ES384') return generateKeyPairSync('ec', { namedCurve: 'P-384' })
  return generateKeyPairSync('ed25519')
}

const keys = new Map(ALGORITHMS.map((alg) => [alg, keyPairFor(alg)]))
const otherKeys = new Map(ALGORITHMS.map((alg) => [alg, keyPairFor(alg)]))

function signed(alg: Algorithm, claims: Record<string, unknown>, privateKey: KeyObject = keys.get(alg)!.privateKey): string {
  const input = `${Buffer.from(JSON.stringify({ alg, kid: 'k1' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  const digest = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`
  const key = alg.startsWith('ES') ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : alg === 'PS256' ? { key: privateKey, padding: 6, saltLength: 32 } : privateKey
  return `${input}.${sign(digest, Buffer.from(input), key).toString('base64url')}`
}

/** A job of every kind: valid, signature bit flipped, signed by another key, truncated signature. */
function jobs(count: number): Array<{ jws: ParsedCompactJws; alg: Algorithm; key: KeyObject }> {
  return Array.from({ length: count }, (_, i) => {
    const alg = ALGORITHMS[i % ALGORITHMS.length]!
    let token = signed(alg, { sub: `user-${i}` }, i % 7 === 3 ? otherKeys.get(alg)!.privateKey : undefined)
    const input = token.slice(0, token.lastIndexOf('.'))
    let signature = Buffer.from(token.slice(input.length + 1), 'base64url')
    if (i % 5 === 1) signature[signature.length >> 1]! ^= 1
    if (i % 11 === 4) signature = signature.subarray(0, -3)
    token = `${input}.${signature.toString('base64url')}`
    return { jws: parseCompactJws(token)!, alg, key: keys.get(alg)!.publicKey }
  })
}

afterEach(() => {
  forceSignaturePath('auto')
  stopSignatureWorkers()
})

describe('signature workers', () => {
  it('share a burst with this thread: the worker answers its backlog, and every verdict equals the synchronous check', async () => {
    expect(await startSignatureWorkers()).toBe(true)
    const burst = jobs(64)
    const before = signatureWorkerCounts()
    const verdicts = await Promise.all(burst.map(({ jws, key, alg }) => verifiedWithWorker(jws, key, alg)))
    const after = signatureWorkerCounts()
    expect(verdicts).toEqual(burst.map(({ jws, key, alg }) => nodeSignatureVerifies(jws, key, alg)))
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(20)
    expect(verdicts.filter((valid) => !valid).length).toBeGreaterThan(20)
    // This thread takes only the jobs beyond the workers' backlog (at least half of a burst is left to them).
    expect({ answered: after.main - before.main + after.worker - before.worker, workersAnsweredHalf: after.worker - before.worker >= 32 }).toEqual({ answered: 64, workersAnsweredHalf: true })
  })

  it('answer every job once, rightly, over many bursts that reuse the ring', async () => {
    expect(await startSignatureWorkers()).toBe(true)
    const pool = jobs(97)
    const expected = pool.map(({ jws, key, alg }) => nodeSignatureVerifies(jws, key, alg))
    const before = signatureWorkerCounts()
    let published = 0
    // Burst sizes from 1 to 200 (the ring has 256 slots): job numbers run past the ring several times.
    for (let burst = 0; burst < 40; burst++) {
      const size = 1 + ((burst * 53) % 200)
      const picked = Array.from({ length: size }, (_, i) => (burst * 31 + i) % pool.length)
      const verdicts = await Promise.all(picked.map((index) => verifiedWithWorker(pool[index]!.jws, pool[index]!.key, pool[index]!.alg)))
      expect(verdicts).toEqual(picked.map((index) => expected[index]))
      published += size
    }
    const after = signatureWorkerCounts()
    expect(after.main - before.main + after.worker - before.worker).toBe(published)
    expect(published).toBeGreaterThan(4 * 256)
  })

  it('leave no job unanswered when the workers stop: this thread verifies what they had', async () => {
    expect(await startSignatureWorkers()).toBe(true)
    forceSignaturePath('workers')
    const burst = jobs(40)
    const pending = burst.map(({ jws, key, alg }) => verifiedWithWorker(jws, key, alg))
    stopSignatureWorkers()
    expect(await Promise.all(pending)).toEqual(burst.map(({ jws, key, alg }) => nodeSignatureVerifies(jws, key, alg)))
  })

  // On one core no worker starts by itself (nothing to gain): the rule is observable only with a second core.
  it.skipIf(availableParallelism() < 2)('start only after WORKER_START_AFTER verifications found none running (those take the thread pool)', async () => {
    stopSignatureWorkers()
    const { jws, key, alg } = jobs(1)[0]!
    for (let i = 1; i < WORKER_START_AFTER; i++) expect(verifiedWithWorker(jws, key, alg)).toBeNull()
    expect(signatureWorkersRunning()).toBe(false)
    expect(verifiedWithWorker(jws, key, alg)).toBeNull()
    // The last call started them; they report running once their threads are up.
    await vi.waitFor(() => expect(signatureWorkersRunning()).toBe(true), { timeout: 10_000, interval: 5 })
    await expect(verifiedWithWorker(jws, key, alg)).resolves.toBe(nodeSignatureVerifies(jws, key, alg))
  })

  it('serve verifyAssertion bursts with the answers of the synchronous path; one verification at a time never reaches them', async () => {
    const { publicKey } = keys.get('ES256')!
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }
    const now = 1_700_000_000
    const verifier = createVerifier(
      loadConfig({
        TRUSTED_PROXY_ASSERTION_HEADER: 'x-assertion',
        TRUSTED_PROXY_JWKS: JSON.stringify({ keys: [jwk] }),
        TRUSTED_PROXY_ISSUER: 'https://proxy.example',
        TRUSTED_PROXY_AUDIENCE: 'app',
        TRUSTED_PROXY_CACHE_SIZE: '0',
      }),
    )
    await verifier.ready()
    const claims = (i: number) => ({ sub: `user-${i}`, iss: 'https://proxy.example', aud: 'app', iat: now, exp: now + 600 })
    const tokens = Array.from({ length: 48 }, (_, i) => signed('ES256', claims(i), i % 4 === 2 ? otherKeys.get('ES256')!.privateKey : undefined))
    const outcome = (answer: Promise<{ subject: string }>) => answer.then(({ subject }) => subject, (error: { code?: string }) => error.code)
    const expected = tokens.map((_, i) => (i % 4 === 2 ? 'invalid_signature' : `user-${i}`))

    const counted = signatureWorkerCounts()
    for (const token of tokens) await verifier.verifyAssertion(token, { now }).catch(() => undefined)
    expect(signatureWorkerCounts()).toEqual(counted)

    expect(await startSignatureWorkers()).toBe(true)
    expect(await Promise.all(tokens.map((token) => outcome(verifier.verifyAssertion(token, { now }))))).toEqual(expected)
    expect(signatureWorkerCounts().worker).toBeGreaterThan(counted.worker)
    verifier.close()
  })
})

describe('without node:worker_threads (a fetch runtime)', () => {
  afterEach(() => vi.restoreAllMocks())

  it('no worker starts, ever: every burst takes the thread pool', async () => {
    stopSignatureWorkers()
    const getBuiltinModule = process.getBuiltinModule.bind(process)
    vi.spyOn(process, 'getBuiltinModule').mockImplementation(((id: string) => (id === 'node:worker_threads' ? undefined : getBuiltinModule(id))) as typeof process.getBuiltinModule)
    expect(await startSignatureWorkers()).toBe(false)
    const { jws, key, alg } = jobs(1)[0]!
    for (let i = 0; i <= 2 * WORKER_START_AFTER; i++) expect(verifiedWithWorker(jws, key, alg)).toBeNull()
    expect(signatureWorkersRunning()).toBe(false)
  })
})

describe('a process whose bursts started workers', () => {
  it('exits by itself once its work is done (the workers keep nothing alive)', async () => {
    // The built library, as an application loads it: 600 verifications at once start the workers.
    const script = `
      const crypto = require('node:crypto')
      const { createVerifier, loadConfig } = require(${JSON.stringify(join(import.meta.dirname, '..', 'dist', 'index.cjs'))})
      const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519')
      const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'EdDSA' }
      const verifier = createVerifier(loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'x-a', TRUSTED_PROXY_JWKS: JSON.stringify({ keys: [jwk] }), TRUSTED_PROXY_ISSUER: 'i', TRUSTED_PROXY_AUDIENCE: 'a', TRUSTED_PROXY_CACHE_SIZE: '0' }))
      const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k1' })).toString('base64url')
      const token = (i) => { const input = header + '.' + Buffer.from(JSON.stringify({ sub: 'u' + i, iss: 'i', aud: 'a', exp: 4e9 })).toString('base64url'); return input + '.' + crypto.sign(null, Buffer.from(input), privateKey).toString('base64url') }
      const tokens = Array.from({ length: 600 }, (_, i) => token(i))
      ;(async () => {
        for (let round = 0; round < 3; round++) await Promise.all(tokens.map((t) => verifier.verifyAssertion(t)))
        process.stdout.write('verified ' + (await Promise.all(tokens.map((t) => verifier.verifyAssertion(t)))).length)
      })()
    `
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill()
        resolve(null)
      }, 30_000)
      child.on('exit', (code) => {
        clearTimeout(timer)
        resolve(code)
      })
    })
    expect({ exitCode, output }).toEqual({ exitCode: 0, output: 'verified 600' })
  })
})
