import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, type TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, loadConfig, TrustedProxyAuthError, type TrustedProxyAuthEvent } from '../src/index.js'
import { KEY_FILE_CHECK_INTERVAL_MS } from '../src/key-sources/local-key-store.js'

// TRUSTED_PROXY_ISSUERS, TRUSTED_PROXY_JWKS_FILE and TRUSTED_PROXY_JWKS: what the shared vectors cannot show
// (a file on disk changing, remote entries fetched only for their own issuer, the config file and code forms).
const NOW = 1_700_000_000
let a: TestIssuer
let b: TestIssuer
let dir: string
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }
const base = { TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_AUDIENCE: 'app' }

beforeAll(async () => {
  a = await createTestIssuer({ issuer: 'https://proxy-a.example', audience: 'app', kidPrefix: 'a-' })
  b = await createTestIssuer({ issuer: 'https://proxy-b.example', audience: 'app', kidPrefix: 'b-' })
  dir = mkdtempSync(join(tmpdir(), 'tpa-keys-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function outcome(work: Promise<unknown>): Promise<string> {
  try {
    await work
    return 'ok'
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return error.detail === undefined ? error.code : `${error.code}: ${error.detail}`
    throw error
  }
}

/** Writes `text` as a new file and renames it over `path`, as an operator replacing a key file should. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.new`, text)
  renameSync(`${path}.new`, path)
}

describe('TRUSTED_PROXY_JWKS_FILE', () => {
  it('is read on use, re-read when replaced (at most once per interval), and a remembered verification ends with its key', async () => {
    const path = join(dir, 'rotating.json')
    replaceFile(path, JSON.stringify(a.jwks()))
    let clock = NOW * 1000
    const verifier = createVerifier(loadConfig({ ...base, TRUSTED_PROXY_ISSUER: a.issuer, TRUSTED_PROXY_JWKS_FILE: path }), { clock: () => clock })
    await verifier.ready()
    const token = await a.sign({}, { now: NOW })
    // The cache takes the assertion in at its second success; the third is a hit.
    for (let i = 0; i < 3; i++) expect(await outcome(verifier.verifyAssertion(token, { now: NOW }))).toBe('ok')
    expect(verifier.cacheCounts().hits).toBe(1)

    replaceFile(path, JSON.stringify(b.jwks()))
    // Within the interval the file is not looked at again.
    clock += KEY_FILE_CHECK_INTERVAL_MS - 1
    expect(await outcome(verifier.verifyAssertion(await a.sign({ jti: 'x' }, { now: NOW }), { now: NOW }))).toBe('ok')
    clock += 1
    expect(await outcome(verifier.verifyAssertion(await a.sign({ jti: 'y' }, { now: NOW }), { now: NOW }))).toMatch(/^unknown_key/)
    // The remembered verification of the first token is not reused once its key left the file.
    expect(await outcome(verifier.verifyAssertion(token, { now: NOW }))).toMatch(/^unknown_key/)
    expect(verifier.status().fetchCount).toBe(2)
    verifier.close()
  })

  it('answers jwks_unavailable naming the file and the cause, never the key material', async () => {
    const events: TrustedProxyAuthEvent[] = []
    const cases: Array<[string, string | null, string]> = [
      ['missing.json', null, 'not found'],
      ['not-json.json', '{"keys": [', 'invalid JSON'],
      ['not-a-set.json', JSON.stringify(a.jwks().keys[0]), 'not a JSON Web Key Set'],
      ['private.json', JSON.stringify({ keys: [await a.privateJwk(a.currentKid)] }), 'key set publishes private key material'],
      ['too-large.json', ' '.repeat(1024 * 1024 + 1), 'larger than 1048576 bytes'],
    ]
    const privateD = String((await a.privateJwk(a.currentKid))['d'])
    for (const [name, text, cause] of cases) {
      const path = join(dir, name)
      if (text !== null) writeFileSync(path, text)
      const verifier = createVerifier(loadConfig({ ...base, TRUSTED_PROXY_ISSUER: a.issuer, TRUSTED_PROXY_JWKS_FILE: path }), { onEvent: (event) => events.push(event), logger: silent })
      const ready = await outcome(verifier.ready())
      expect(ready).toBe(`jwks_unavailable: key file ${JSON.stringify(path)}: ${cause}`)
      expect(await outcome(verifier.verifyAssertion(await a.sign(), {}))).toBe(ready)
      verifier.close()
    }
    expect(JSON.stringify(events)).not.toContain(privateD)
  })

  it('refuses a second key source and a preset', () => {
    const refused = (env: Record<string, string>): string[] => {
      try {
        loadConfig({ ...base, TRUSTED_PROXY_ISSUER: a.issuer, ...env })
        return []
      } catch (error) {
        return ((error as TrustedProxyAuthError).problems ?? []).map((problem) => `${problem.variable} ${problem.message}`)
      }
    }
    expect(refused({ TRUSTED_PROXY_JWKS_FILE: '/k.json', TRUSTED_PROXY_JWKS_URL: 'https://k.example/jwks.json' })).toEqual([
      'TRUSTED_PROXY_JWKS_FILE must not be set with TRUSTED_PROXY_JWKS_URL: exactly one key source may be set',
    ])
    expect(refused({ TRUSTED_PROXY_JWKS_FILE: '/k.json', TRUSTED_PROXY_PRESET: 'pomerium' })).toContain(
      'TRUSTED_PROXY_JWKS_FILE must not be set with TRUSTED_PROXY_PRESET (the preset names its own key source)',
    )
  })
})

describe('TRUSTED_PROXY_ISSUERS', () => {
  it('fetches only the key set of the issuer the assertion names', async () => {
    const fetched: string[] = []
    const fakeFetch = (async (input: string | URL | Request) => {
      const url = String(input)
      fetched.push(url)
      const owner = url === a.jwksUrl ? a : url === b.jwksUrl ? b : null
      return owner ? new Response(JSON.stringify(owner.jwks()), { headers: { 'content-type': 'application/json' } }) : new Response('', { status: 404 })
    }) as typeof fetch
    const config = loadConfig({
      ...base,
      TRUSTED_PROXY_ISSUERS: JSON.stringify([
        { issuer: a.issuer, jwks_url: a.jwksUrl },
        { issuer: b.issuer, jwks_url: b.jwksUrl },
      ]),
    })
    const verifier = createVerifier(config, { fetch: fakeFetch })
    await verifier.ready()
    fetched.length = 0
    // A's token signed with B's key, with B's kid: an unknown kid of A refetches A's set, never B's.
    const forged = await b.sign({ iss: a.issuer }, { now: NOW })
    expect(await outcome(verifier.verifyAssertion(forged, { now: NOW }))).toMatch(/^unknown_key/)
    expect(fetched).toEqual([a.jwksUrl])
    expect(await outcome(verifier.verifyAssertion(await b.sign({}, { now: NOW }), { now: NOW }))).toBe('ok')
    expect(verifier.status().keyCount).toBe(2)
    verifier.close()
  })

  it('remembers a verification only for the entry that verified it: a key leaving one entry ends only that entry\'s', async () => {
    const path = join(dir, 'entry-b.json')
    replaceFile(path, JSON.stringify(b.jwks()))
    let clock = NOW * 1000
    const config = loadConfig({ ...base, TRUSTED_PROXY_ISSUERS: JSON.stringify([{ issuer: a.issuer, jwks: a.jwks() }, { issuer: b.issuer, jwks_file: path }]) })
    const verifier = createVerifier(config, { clock: () => clock, logger: silent })
    const tokenA = await a.sign({}, { now: NOW })
    const tokenB = await b.sign({}, { now: NOW })
    // Taken in at the second success, a hit at the third.
    for (let round = 0; round < 3; round++) {
      expect(await outcome(verifier.verifyAssertion(tokenA, { now: NOW }))).toBe('ok')
      expect(await outcome(verifier.verifyAssertion(tokenB, { now: NOW }))).toBe('ok')
    }
    expect(verifier.cacheCounts().hits).toBe(2)
    replaceFile(path, JSON.stringify({ keys: [] }))
    clock += KEY_FILE_CHECK_INTERVAL_MS
    expect(await outcome(verifier.verifyAssertion(tokenA, { now: NOW }))).toBe('ok')
    expect(verifier.cacheCounts().hits).toBe(3)
    expect(await outcome(verifier.verifyAssertion(tokenB, { now: NOW }))).toMatch(/^unknown_key/)
    verifier.close()
  })

  it('judges one protected header under each entry by that entry\'s algorithms, however often it passed under another', async () => {
    const config = loadConfig({
      ...base,
      TRUSTED_PROXY_ISSUERS: JSON.stringify([
        { issuer: a.issuer, jwks: a.jwks() },
        { issuer: b.issuer, jwks: { keys: [...a.jwks().keys, ...b.jwks().keys] }, algorithms: ['RS256'] },
      ]),
    })
    const verifier = createVerifier(config, { logger: silent })
    // Both signed by A's key: the very same header segment (alg, kid, typ), so the same parsed header object.
    const underA = await a.sign({ jti: '1' }, { now: NOW })
    const underB = await a.sign({ jti: '2', iss: b.issuer }, { now: NOW })
    expect(underB.split('.')[0]).toBe(underA.split('.')[0])
    for (let i = 0; i < 2; i++) {
      expect(await outcome(verifier.verifyAssertion(underA, { now: NOW }))).toBe('ok')
      expect(await outcome(verifier.verifyAssertion(underB, { now: NOW }))).toMatch(/^unsupported_algorithm: alg "ES256" is not one of "RS256"/)
    }
    verifier.close()
  })

  it('loads from the config file (the array and key set as JSON values) and from code options', async () => {
    const path = join(dir, 'config.json')
    const entries = [
      { issuer: a.issuer, jwks: a.jwks() },
      { issuer: b.issuer, jwks: b.jwks(), audience: ['app', 'other'], algorithms: ['ES256'], clock_tolerance: 5 },
    ]
    writeFileSync(path, JSON.stringify({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_ISSUERS: entries }))
    for (const config of [loadConfig({ TRUSTED_PROXY_CONFIG_FILE: path }), loadConfig({ ...base }, { issuers: entries })]) {
      expect(config.issuers.map((entry) => [entry.issuer, entry.keySource.kind, entry.audience, entry.algorithms, entry.clockTolerance])).toEqual([
        [a.issuer, 'inlineJwks', ['app'], config.algorithms, 60],
        [b.issuer, 'inlineJwks', ['app', 'other'], ['ES256'], 5],
      ])
      const verifier = createVerifier(config)
      expect(await outcome(verifier.verifyAssertion(await b.sign({}, { now: NOW }), { now: NOW }))).toBe('ok')
      verifier.close()
    }
    const inline = loadConfig({ ...base, TRUSTED_PROXY_ISSUER: a.issuer }, { jwks: a.jwks() })
    expect(inline.keySource.kind).toBe('inlineJwks')
  })

  it('names entries by position and members by name in problems, never a value', () => {
    const secret = 'sekrit-value-123'
    try {
      loadConfig({ ...base, TRUSTED_PROXY_ISSUERS: JSON.stringify([{ issuer: a.issuer, jwks_url: `http://${secret}.example/jwks.json`, [secret]: 1 }]) })
      throw new Error('accepted')
    } catch (error) {
      const problems = (error as TrustedProxyAuthError).problems ?? []
      expect(problems.map((problem) => problem.message)).toEqual([
        'entry 1 has an unknown member (known: issuer, jwks_url, jwks_file, jwks, discovery, audience, algorithms, clock_tolerance)',
        'entry 1 "jwks_url" must use https (plain http only for loopback hosts)',
      ])
      expect(JSON.stringify(problems)).not.toContain(secret)
    }
  })

  it('audits each entry in the start-up line', () => {
    const config = loadConfig({ ...base, TRUSTED_PROXY_ISSUERS: JSON.stringify([{ issuer: a.issuer, jwks: a.jwks() }, { issuer: b.issuer, jwks_file: '/etc/b.json' }]) })
    const lines: string[] = []
    const verifier = createVerifier(config, { logger: { debug: () => undefined, info: (line: string) => lines.push(line), warn: () => undefined, error: () => undefined } })
    expect(lines[0]).toContain(`issuers=["${a.issuer}":inline-jwks (1 keys), "${b.issuer}":jwks-file "/etc/b.json"]`)
    verifier.close()
  })
})
