import { readdirSync, readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { join } from 'node:path'
import { createTestIssuer, type TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import type { JWK } from 'jose'
import { delay, http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, loadConfig, TrustedProxyAuthError, type Verifier } from '../src/index.js'
import { ManualClock } from './manual-clock.js'

const lifecycleDir = join(import.meta.dirname, '..', '..', '..', 'test-vectors', 'lifecycle')
const JWKS_URL = 'https://keys.lifecycle.test/jwks.json'
const CLAIMS_NOW = 1_700_000_000

interface Step {
  comment?: string
  serve?: { keys?: string[]; invalidMembers?: string[]; cacheControl?: string; status?: number; contentType?: string; body?: string; hang?: true; trickle?: true }
  start?: true
  advance?: number
  verify?: { key: string; kid?: string | null; concurrent?: number; distinctKids?: number; repeat?: true }
  expect?: string
  fetches?: number
  withinSeconds?: number
  status?: string
}

interface Script {
  description: string
  config: Record<string, string>
  keys: string[]
  steps: Step[]
}

const scripts = readdirSync(lifecycleDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, script: JSON.parse(readFileSync(join(lifecycleDir, name), 'utf8')) as Script }))

let served: Step['serve'] = { status: 404, body: '' }
let fetchCount = 0
const publicMembers = new Map<string, JWK>()
const privateMembers = new Map<string, JWK>()
const signers = new Map<string, TestIssuer>()
let invalidMembers: Record<string, JWK> = {}

const server = setupServer(
  http.get(JWKS_URL, async () => {
    fetchCount++
    const current = served ?? {}
    if (current.hang) {
      await delay('infinite')
    }
    if (current.trickle) return new HttpResponse(trickle(), { status: 200, headers: { 'content-type': 'application/json' } })
    if (current.keys) {
      const members = current.keys.map((name) => publicMembers.get(name)!)
      const extra = (current.invalidMembers ?? []).map((kind) => (kind === 'private' ? privateMembers.get(current.keys![0]!)! : invalidMembers[kind]!))
      const headers: Record<string, string> = current.cacheControl ? { 'cache-control': current.cacheControl } : {}
      return HttpResponse.json({ keys: [...members, ...extra] }, { headers })
    }
    return new HttpResponse(current.body ?? '', { status: current.status ?? 200, headers: { 'content-type': current.contentType ?? 'text/plain' } })
  }),
)

/** `{"serve": {"trickle": true}}`: one space every 0.1 s of real time for 30 s, then an empty key set; stops when cancelled. */
function trickle(): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      if (sent++ < 300) controller.enqueue(new Uint8Array([0x20]))
      else {
        controller.enqueue(new TextEncoder().encode('{"keys":[]}'))
        controller.close()
      }
    },
  })
}

async function keyPair(name: string): Promise<void> {
  if (publicMembers.has(name)) return
  const signer = await createTestIssuer({ algorithms: ['ES256'] })
  const kid = signer.currentKid
  publicMembers.set(name, { ...signer.jwks().keys[0]!, kid: name })
  privateMembers.set(name, { ...(await signer.privateJwk(kid)), kid: `${name}-private` })
  signers.set(name, signer)
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' })
  const ec = (await createTestIssuer({ algorithms: ['ES256'] })).jwks().keys[0]!
  const rsa1024 = (await createTestIssuer({ algorithms: ['RS256'], rsaModulusLength: 1024 })).jwks().keys[0]!
  invalidMembers = {
    oct: { kty: 'oct', kid: 'oct-1', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ', alg: 'HS256' },
    'use-enc': { ...ec, kid: 'enc-1', use: 'enc' },
    'key-ops-sign': { ...ec, kid: 'ops-1', key_ops: ['sign'] },
    'rsa-1024': { ...rsa1024, kid: 'rsa-1024' },
    'alg-mismatch': { ...ec, kid: 'mismatch-1', alg: 'RS256' },
  }
})
afterAll(() => server.close())

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

async function outcome(verifier: Verifier, token: string): Promise<string> {
  try {
    await verifier.verifyAssertion(token, { now: CLAIMS_NOW })
    return 'ok'
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return error.code
    throw error
  }
}

it('every lifecycle script follows test-vectors/schema/lifecycle.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(lifecycleDir, '..', 'schema', 'lifecycle.schema.json'), 'utf8'))
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema)
  expect(scripts.length).toBeGreaterThanOrEqual(9)
  for (const { name, script } of scripts) expect(validate(script) ? name : [name, validate.errors]).toBe(name)
})

describe.each(scripts)('lifecycle $name', ({ script }) => {
  it(script.description, async () => {
    for (const name of script.keys) await keyPair(name)
    served = { status: 404, body: '' }
    fetchCount = 0
    const clock = new ManualClock()
    const config = loadConfig({ ...script.config, TRUSTED_PROXY_JWKS_URL: JWKS_URL })
    let verifier: Verifier | null = null
    const lastTokens = new Map<string, string>()
    const sign = (key: string, kid: string | null): Promise<string> =>
      signers.get(key)!.signRaw(kid === null ? { alg: 'ES256' } : { alg: 'ES256', kid }, {
        sub: 'lifecycle-user',
        iss: config.issuer[0],
        aud: config.audience[0],
        iat: CLAIMS_NOW,
        exp: CLAIMS_NOW + 3600,
      })

    try {
      for (const [index, step] of script.steps.entries()) {
        const where = `step ${index}${step.comment ? ` (${step.comment})` : ''}`
        const began = performance.now()
        if (step.serve) served = step.serve
        if (step.start) {
          verifier = createVerifier(config, { clock: clock.now, scheduler: clock, random: () => 0.5 })
          await settle()
        }
        if (step.advance !== undefined) await clock.advance(Math.round(step.advance * 1000), settle)
        if (step.verify) {
          const { key, concurrent = 1, distinctKids } = step.verify
          const kid = step.verify.kid === undefined ? key : step.verify.kid
          if (distinctKids) {
            // One signature for the whole flood (test-vectors/lifecycle/README.md): signing 10,000 headers would
            // cost seconds of CPU, and a kid the key set lacks is refused before any signature is checked.
            const [, payload, signature] = (await sign(key, `${kid}-1`)).split('.')
            const results = new Set<string>()
            for (let i = 1; i <= distinctKids; i++) {
              const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: `${kid}-${i}` })).toString('base64url')
              results.add(await outcome(verifier!, `${header}.${payload}.${signature}`))
            }
            expect(results, where).toEqual(new Set([step.expect]))
          } else {
            // repeat: the very token the last verify step of this key and kid signed (a cache hit when remembered).
            const memo = `${key}\u0000${String(kid)}`
            const token = step.verify.repeat ? lastTokens.get(memo)! : await sign(key, kid)
            lastTokens.set(memo, token)
            const results = await Promise.all(Array.from({ length: concurrent }, () => outcome(verifier!, token)))
            expect(new Set(results), where).toEqual(new Set([step.expect]))
          }
          await settle()
        }
        if (step.status) expect(verifier!.status().state, where).toBe(step.status)
        if (step.fetches !== undefined) expect(fetchCount, where).toBe(step.fetches)
        if (step.withinSeconds !== undefined) expect(performance.now() - began, where).toBeLessThan(step.withinSeconds * 1000)
      }
    } finally {
      verifier?.close()
    }
  })
})
