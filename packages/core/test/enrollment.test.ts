import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { exportSPKI, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  checkEnrollment,
  createEnrollmentCode,
  ENROLLMENT_CONTRACT,
  enrollmentCodeMatches,
  enrollmentRecord,
  loadConfig,
  proposeSettings,
  readEnrollmentRecord,
  revokeEnrollment,
  TrustedProxyAuthError,
  writeEnrollmentRecord,
  type EnrollmentProposal,
  type EnrollmentReport,
  type TrustedProxyAuthEvent,
} from '../src/index.js'

const T0 = 1_700_000_000
const nowMs = (): number => (T0 + 10) * 1000

let issuer: RunningTestIssuer
let other: RunningTestIssuer
let scratch: string
let proposal: EnrollmentProposal

function settingsFor(source: RunningTestIssuer, extra: Record<string, string> = {}): EnrollmentProposal {
  return {
    settings: {
      TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion',
      TRUSTED_PROXY_ISSUER: source.issuer,
      TRUSTED_PROXY_AUDIENCE: 'app',
      TRUSTED_PROXY_JWKS_URL: source.jwksUrl,
      ...extra,
    },
  }
}

const results = (report: EnrollmentReport): Record<string, string> => Object.fromEntries(report.checks.map((check) => [check.id, check.result]))
const detailOf = (report: EnrollmentReport, id: string): string | undefined => report.checks.find((check) => check.id === id)?.detail
const sign = (claims: Record<string, unknown> = {}, options: Parameters<RunningTestIssuer['sign']>[1] = {}): Promise<string> =>
  issuer.sign({ email: 'ann@example.com', ...claims }, { now: T0, expiresIn: 300, ...options })

beforeAll(async () => {
  issuer = await startTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'ann' })
  other = await startTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'ann', kidPrefix: 'other-' })
  scratch = mkdtempSync(join(tmpdir(), 'tpa-enroll-'))
  proposal = settingsFor(issuer)
})

afterAll(async () => {
  await Promise.all([issuer.close(), other.close()])
  rmSync(scratch, { recursive: true, force: true })
})

describe('checkEnrollment', () => {
  it('passes every check, in contract order, for an assertion signed by the key set being enrolled', async () => {
    const report = await checkEnrollment(proposal, await sign(), { now: nowMs })
    expect(report.checks.map((check) => check.id)).toEqual(ENROLLMENT_CONTRACT.checks.map((check) => check.id))
    expect(report.checks.every((check) => check.result === 'pass')).toBe(true)
    expect(report.ok).toBe(true)
    expect(report).toMatchObject({ keySetUrl: issuer.jwksUrl, subject: 'ann', issuer: 'https://proxy.example' })
    expect(report.keys).toHaveLength(1)
    expect(report.keys[0]).toMatchObject({ kid: issuer.currentKid, kty: 'EC', alg: 'ES256' })
    expect(report.keys[0]!.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(report.decoded?.claims['sub']).toBe('ann')
    expect(report.decoded?.header['kid']).toBe(issuer.currentKid)
  })

  it('fetches the key set once and verifies against exactly those keys', async () => {
    issuer.reset()
    await checkEnrollment(proposal, await sign(), { now: nowMs })
    expect(issuer.requests.count).toBe(1)
  })

  it('refuses a plain-http key URL outside loopback without fetching it', async () => {
    let fetched = 0
    const report = await checkEnrollment(settingsFor(issuer, { TRUSTED_PROXY_JWKS_URL: 'http://keys.example/jwks.json' }), await sign(), {
      now: nowMs,
      fetch: (() => {
        fetched++
        throw new Error('no network')
      }) as unknown as typeof fetch,
    })
    expect(results(report)).toMatchObject({ key_url_secure: 'fail', configuration_valid: 'fail', keys_reachable: 'not_run' })
    expect(detailOf(report, 'key_url_secure')).toContain('https')
    expect(report.ok).toBe(false)
    expect(fetched).toBe(0)
  })

  it('reports an unreachable key set with the key-fetch cause, and runs nothing that needs it', async () => {
    issuer.setFailures(['500'])
    const report = await checkEnrollment(proposal, await sign(), { now: nowMs })
    issuer.reset()
    expect(results(report)).toMatchObject({ key_url_secure: 'pass', keys_reachable: 'fail', keys_usable: 'not_run', no_embedded_keys: 'pass', assertion_signature: 'not_run', configuration_valid: 'pass' })
    expect(detailOf(report, 'keys_reachable')).toBe('HTTP status 500')
  })

  it('reports a key set without a usable key (a weak RSA key) by the verifier\'s own rule', async () => {
    const weak = await startTestIssuer({ issuer: 'https://proxy.example', audience: 'app', algorithms: ['RS256'], rsaModulusLength: 1024 })
    try {
      const report = await checkEnrollment(settingsFor(weak), await weak.sign({}, { now: T0 }), { now: nowMs })
      expect(results(report)).toMatchObject({ keys_reachable: 'pass', keys_usable: 'fail', assertion_signature: 'not_run' })
      expect(detailOf(report, 'keys_usable')).toContain('RSA modulus under 2048 bits')
    } finally {
      await weak.close()
    }
  })

  it('refuses keys carried in the token (jwk, jku, x5u, x5c) even when the signature verifies', async () => {
    for (const member of ['jwk', 'jku', 'x5u', 'x5c']) {
      const value = member === 'jwk' ? issuer.jwks().keys[0] : member === 'x5c' ? ['MIIB'] : 'https://attacker.example/keys'
      const report = await checkEnrollment(proposal, await sign({}, { header: { [member]: value } }), { now: nowMs })
      expect(results(report), member).toMatchObject({ no_embedded_keys: 'fail', assertion_signature: 'pass' })
      expect(detailOf(report, 'no_embedded_keys')).toBe(`header carries "${member}"`)
      expect(report.ok).toBe(false)
    }
  })

  it('refuses an assertion not signed by the key set being enrolled', async () => {
    const report = await checkEnrollment(proposal, await other.sign({}, { now: T0, header: { kid: issuer.currentKid } }), { now: nowMs })
    expect(results(report)).toMatchObject({ keys_usable: 'pass', assertion_signature: 'fail', issuer: 'not_run', audience: 'not_run', fresh: 'not_run' })
    expect(detailOf(report, 'assertion_signature')).toMatch(/^invalid_signature/)
    const unknown = await checkEnrollment(proposal, await other.sign({}, { now: T0 }), { now: nowMs })
    expect(detailOf(unknown, 'assertion_signature')).toMatch(/^unknown_key/)
    expect(unknown.subject).toBeNull()
  })

  it('refuses an expired assertion, and still reports issuer and audience', async () => {
    const report = await checkEnrollment(proposal, await sign({}, { now: T0 - 1000 }), { now: nowMs })
    expect(results(report)).toMatchObject({ assertion_signature: 'pass', fresh: 'fail', issuer: 'pass', audience: 'pass' })
    expect(detailOf(report, 'fresh')).toMatch(/^expired: exp /)
    expect(report.subject).toBeNull()
  })

  it('refuses an assertion from another issuer or for another audience, reporting each', async () => {
    const report = await checkEnrollment(settingsFor(issuer, { TRUSTED_PROXY_ISSUER: 'https://expected.example', TRUSTED_PROXY_AUDIENCE: 'other-app' }), await sign({}, { now: T0 - 1000 }), { now: nowMs })
    expect(results(report)).toMatchObject({ assertion_signature: 'pass', issuer: 'fail', audience: 'fail', fresh: 'fail', configuration_valid: 'pass' })
    expect(detailOf(report, 'issuer')).toContain('issuer_mismatch')
    expect(detailOf(report, 'audience')).toContain('audience_mismatch')
  })

  it('refuses a configuration the runtime would refuse, and forbidden settings', async () => {
    const refused = await checkEnrollment(settingsFor(issuer, { TRUSTED_PROXY_MAX_AGE: 'soon' }), await sign(), { now: nowMs })
    expect(results(refused)).toMatchObject({ configuration_valid: 'fail' })
    expect(detailOf(refused, 'configuration_valid')).toContain('TRUSTED_PROXY_MAX_AGE')
    const forbidden = await checkEnrollment(settingsFor(issuer, { TRUSTED_PROXY_SHARED_SECRET: 'x'.repeat(40) }), await sign(), { now: nowMs })
    expect(results(forbidden)).toMatchObject({ configuration_valid: 'fail' })
    expect(JSON.stringify(forbidden)).not.toContain('x'.repeat(20))
  })

  it('fails configuration_valid when the runtime would refuse the administrator (allowed users)', async () => {
    const report = await checkEnrollment(settingsFor(issuer, { TRUSTED_PROXY_ALLOWED_USERS: 'bob' }), await sign(), { now: nowMs })
    expect(results(report)).toMatchObject({ assertion_signature: 'pass', issuer: 'pass', configuration_valid: 'fail' })
    expect(detailOf(report, 'configuration_valid')).toContain('forbidden_user')
  })

  it('checks a local key set through the verifier\'s own load, and refuses to enroll TRUSTED_PROXY_ISSUERS', async () => {
    const { TRUSTED_PROXY_JWKS_URL: _url, ...withoutUrl } = proposal.settings
    const inline = await checkEnrollment({ settings: { ...withoutUrl, TRUSTED_PROXY_JWKS: JSON.stringify(issuer.jwks()) } }, await sign(), { now: nowMs })
    expect(inline.ok).toBe(true)
    expect(detailOf(inline, 'key_url_secure')).toBe('no key URL: the key set is TRUSTED_PROXY_JWKS')
    const { TRUSTED_PROXY_ISSUER: _issuer, ...withoutIssuer } = withoutUrl
    const entries = JSON.stringify([{ issuer: issuer.issuer, jwks_url: issuer.jwksUrl }])
    const several = await checkEnrollment({ settings: { ...withoutIssuer, TRUSTED_PROXY_ISSUERS: entries } }, await sign(), { now: nowMs })
    expect(several.ok).toBe(false)
    expect(results(several)['configuration_valid']).toBe('fail')
    expect(detailOf(several, 'configuration_valid')).toMatch(/^TRUSTED_PROXY_ISSUERS is configured directly/)
  })

  it('reports a malformed assertion without throwing', async () => {
    const report = await checkEnrollment(proposal, 'not-a-token', { now: nowMs })
    expect(report.decoded).toBeNull()
    expect(results(report)).toMatchObject({ keys_usable: 'pass', no_embedded_keys: 'not_run', assertion_signature: 'fail' })
  })

  it('finds keys through OpenID discovery when the preset or settings say so', async () => {
    const proposed = await proposeSettings({ assertion: await sign(), assertionHeader: 'X-Assertion', env: {} })
    expect(proposed.settings).toEqual({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_ISSUER: 'https://proxy.example', TRUSTED_PROXY_AUDIENCE: 'app' })
    // The loopback issuer serves discovery for its own URL; discovery from an https issuer needs the network, so it is exercised with the loopback URL.
    const local = await startTestIssuer({ audience: 'app', subject: 'ann' })
    try {
      const token = await local.sign({}, { now: T0 })
      const discovered = await proposeSettings({ assertion: token, discovery: true, assertionHeader: 'X-Assertion' })
      expect(discovered.settings['TRUSTED_PROXY_JWKS_URL']).toBe(local.jwksUrl)
      const report = await checkEnrollment(discovered, token, { now: nowMs })
      expect(report.ok).toBe(true)
      // A preset that finds keys by discovery at run time: one discovery and one key-set fetch, replayed to the verifier.
      local.reset()
      const byPreset = await checkEnrollment({ settings: { TRUSTED_PROXY_PRESET: 'oauth2-proxy', TRUSTED_PROXY_ISSUER: local.url, TRUSTED_PROXY_AUDIENCE: 'app' } }, token, { now: nowMs })
      expect(byPreset).toMatchObject({ ok: true, keySetUrl: local.jwksUrl })
      expect(detailOf(byPreset, 'key_url_secure')).toBe(`${local.discoveryUrl} (OpenID discovery)`)
      expect({ keySet: local.requests.count, discovery: local.requests.discoveryCount }).toEqual({ keySet: 1, discovery: 1 })
    } finally {
      await local.close()
    }
  })
})

describe('checkEnrollment with a shared secret (preset authentik)', () => {
  const secret = 'test-only-authentik-secret-for-unit-tests-0123456789'
  const authentik: EnrollmentProposal = { settings: { TRUSTED_PROXY_PRESET: 'authentik', TRUSTED_PROXY_ISSUER: 'https://auth.example/application/o/app/', TRUSTED_PROXY_AUDIENCE: 'client-id' } }
  const hs256 = (key: string): Promise<string> =>
    new SignJWT({ sub: 'ann' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('https://auth.example/application/o/app/')
      .setAudience('client-id')
      .setIssuedAt(T0)
      .setExpirationTime(T0 + 300)
      .sign(new TextEncoder().encode(key))

  it('passes with the secret from the environment (it is never in the proposal or the record), fetching nothing', async () => {
    const report = await checkEnrollment(authentik, await hs256(secret), { now: nowMs, env: { TRUSTED_PROXY_SHARED_SECRET: secret }, fetch: (() => Promise.reject(new Error('no fetch'))) as unknown as typeof fetch })
    expect(report.checks.every((check) => check.result === 'pass')).toBe(true)
    expect(report).toMatchObject({ ok: true, keySetUrl: null, keys: [], subject: 'ann' })
    expect(JSON.stringify(report)).not.toContain(secret)
  })

  it('fails the signature for another secret, and the configuration without one', async () => {
    const wrong = await checkEnrollment(authentik, await hs256(`${secret}-other`), { now: nowMs, env: { TRUSTED_PROXY_SHARED_SECRET: secret } })
    expect(results(wrong)).toMatchObject({ assertion_signature: 'fail', issuer: 'not_run' })
    const missing = await checkEnrollment(authentik, await hs256(secret), { now: nowMs })
    expect(results(missing)).toMatchObject({ configuration_valid: 'fail' })
    expect(detailOf(missing, 'configuration_valid')).toContain('TRUSTED_PROXY_SHARED_SECRET')
  })
})

describe('checkEnrollment with one key per kid (preset aws-alb)', () => {
  const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac'
  const USER_POOL = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ex4mpLe01'
  const CLIENT_ID = '3a33a02r5hn3onhtu1mr0dit20'
  const KID = 'abb8289f-e3a4-4a34-9472-c2105e2b2482'
  const alb: EnrollmentProposal = {
    settings: { TRUSTED_PROXY_PRESET: 'aws-alb', TRUSTED_PROXY_AWS_ALB_ARN: ARN, TRUSTED_PROXY_ISSUER: USER_POOL, TRUSTED_PROXY_AUDIENCE: CLIENT_ID, TRUSTED_PROXY_JWKS_URL: 'https://keys.alb.test/{kid}' },
  }

  it('checks the key the assertion names through the verifier\'s per-kid fetch, and reports an unreachable key host', async () => {
    const signer = await createTestIssuer({ algorithms: ['ES256'] })
    const pem = await exportSPKI(signer.keys[0]!.publicKey)
    const exp = T0 + 60
    const token = await signer.signRaw(
      { typ: 'JWT', kid: KID, alg: 'ES256', iss: USER_POOL, client: CLIENT_ID, signer: ARN, exp },
      { sub: 'ann', email: 'ann@example.com', email_verified: 'true', exp, iss: USER_POOL },
      { kid: signer.currentKid },
    )
    const urls: string[] = []
    const serving = (status: number): typeof fetch =>
      (async (input: RequestInfo | URL) => {
        urls.push(String(input))
        return new Response(status === 200 ? pem : '', { status })
      }) as typeof fetch
    const report = await checkEnrollment(alb, token, { now: nowMs, fetch: serving(200) })
    expect(report.checks.filter((check) => check.result !== 'pass')).toEqual([])
    expect(report).toMatchObject({ ok: true, keySetUrl: null, keys: [], subject: 'ann' })
    expect(urls).toEqual([`https://keys.alb.test/${KID}`])
    const down = await checkEnrollment(alb, token, { now: nowMs, fetch: serving(500) })
    expect(results(down)).toMatchObject({ key_url_secure: 'pass', keys_reachable: 'fail', keys_usable: 'not_run', assertion_signature: 'fail' })
    expect(detailOf(down, 'keys_reachable')).toBe('HTTP status 500')
  })
})

describe('proposeSettings', () => {
  it('takes decided settings first, never forbidden ones, then iss and aud from the assertion', async () => {
    const proposed = await proposeSettings({
      assertion: await sign({ aud: ['app', 'api'] }),
      preset: 'pomerium',
      env: { TRUSTED_PROXY_ISSUER: 'https://decided.example', TRUSTED_PROXY_SHARED_SECRET: 'secret', TRUSTED_PROXY_CONFIG_FILE: '/x', HOME: '/root' },
    })
    expect(proposed.settings).toEqual({ TRUSTED_PROXY_ISSUER: 'https://decided.example', TRUSTED_PROXY_PRESET: 'pomerium', TRUSTED_PROXY_AUDIENCE: ['app', 'api'] })
  })

  it('with fromAssertion false, never reads the issuer or audience from the assertion', async () => {
    const proposed = await proposeSettings({ assertion: await sign(), fromAssertion: false, env: { TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl } })
    expect(proposed.settings).toEqual({ TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl })
  })

  it('refuses what is not a compact JWS, and what no configuration accepts (larger than 64 KiB) without decoding it', async () => {
    await expect(proposeSettings({ assertion: 'x.y' })).rejects.toMatchObject({ code: 'malformed_assertion' })
    const huge = `${'a'.repeat(70_000)}.b.c`
    await expect(proposeSettings({ assertion: huge })).rejects.toMatchObject({ code: 'assertion_too_large' })
    const report = await checkEnrollment(proposal, huge, { now: nowMs })
    expect(report.decoded).toBeNull()
    expect(detailOf(report, 'no_embedded_keys')).toBe('the assertion is longer than 65536 bytes')
    expect(detailOf(report, 'assertion_signature')).toMatch(/^assertion_too_large/)
  })
})

describe('enrollment record', () => {
  let report: EnrollmentReport
  beforeAll(async () => {
    report = await checkEnrollment(proposal, await sign(), { now: nowMs })
  })

  it('is built only from a passing report', async () => {
    const record = enrollmentRecord(report, proposal, 'cli', new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))
    expect(record).toMatchObject({ format: 'trusted-proxy-auth.enrollment/1', enrolledAt: '2026-01-02T03:04:05Z', enrolledBy: { subject: 'ann', issuer: 'https://proxy.example', method: 'cli' }, keySetUrl: issuer.jwksUrl })
    expect(record.checks).toEqual(ENROLLMENT_CONTRACT.checks.map((check) => ({ id: check.id, result: 'pass' })))
    const failing = await checkEnrollment(proposal, await sign({}, { now: T0 - 1000 }), { now: nowMs })
    expect(() => enrollmentRecord(failing, proposal, 'cli')).toThrow(TrustedProxyAuthError)
  })

  it('is written atomically with mode 0600 and read back', async () => {
    const path = join(scratch, 'atomic.json')
    writeFileSync(path, 'old', { mode: 0o644 })
    const record = enrollmentRecord(report, proposal, 'page')
    await writeEnrollmentRecord(path, record)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readdirSync(scratch).filter((name) => name.includes('atomic.json') && name !== 'atomic.json')).toEqual([])
    expect(readEnrollmentRecord(path)).toEqual(record)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(record)
  })

  it('is not written when it does not match the schema, and the old file stays', async () => {
    const path = join(scratch, 'kept.json')
    writeFileSync(path, 'old')
    const record = { ...enrollmentRecord(report, proposal, 'cli'), settings: { TRUSTED_PROXY_SHARED_SECRET: 'x' } }
    await expect(writeEnrollmentRecord(path, record)).rejects.toMatchObject({ code: 'invalid_config' })
    expect(readFileSync(path, 'utf8')).toBe('old')
    expect(readdirSync(scratch).filter((name) => name.startsWith('.kept.json'))).toEqual([])
  })

  it('reads null for a missing file and refuses invalid records by schema, without quoting values', () => {
    expect(readEnrollmentRecord(join(scratch, 'missing.json'))).toBeNull()
    const cases: Array<[string, unknown, RegExp]> = [
      ['not JSON', '{', /is not valid JSON/],
      ['wrong format', { ...validRecord(), format: 'v0' }, /at \/format \(const\)/],
      ['forbidden setting', { ...validRecord(), settings: { TRUSTED_PROXY_SHARED_SECRET: 'hunter2-secret-value' } }, /at \/settings/],
      ['unknown member', { ...validRecord(), extra: 1 }, /\/extra \(additionalProperties\)/],
      ['bad thumbprint', { ...validRecord(), keys: [{ kid: null, kty: 'EC', alg: null, thumbprint: 'short' }] }, /at \/keys\/0\/thumbprint \(pattern\)/],
      ['failed check', { ...validRecord(), checks: [{ id: 'fresh', result: 'fail' }] }, /at \/checks\/0\/result \(const\)/],
      ['unknown setting', { ...validRecord(), settings: { TRUSTED_PROXY_NO_SUCH: 'x' } }, /TRUSTED_PROXY_NO_SUCH is not a known setting/],
    ]
    for (const [name, content, message] of cases) {
      const path = join(scratch, `invalid-${name.replace(/ /g, '-')}.json`)
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
      let error: unknown
      try {
        readEnrollmentRecord(path)
      } catch (thrown) {
        error = thrown
      }
      expect(error, name).toBeInstanceOf(TrustedProxyAuthError)
      expect((error as TrustedProxyAuthError).code).toBe('invalid_config')
      expect((error as TrustedProxyAuthError).detail, name).toMatch(message)
      expect((error as TrustedProxyAuthError).detail).not.toContain('hunter2')
    }
  })

  it('is removed by revokeEnrollment, which emits enrollment_revoked (and tolerates a missing file)', async () => {
    const path = join(scratch, 'revoke.json')
    await writeEnrollmentRecord(path, enrollmentRecord(report, proposal, 'cli'))
    const events: TrustedProxyAuthEvent[] = []
    await revokeEnrollment(path, { onEvent: (event) => events.push(event), by: 'ann' })
    expect(readEnrollmentRecord(path)).toBeNull()
    expect(events).toEqual([{ type: 'enrollment_revoked', path, by: 'ann' }])
    await expect(revokeEnrollment(path)).resolves.toBeUndefined()
  })
})

function validRecord(settings: Record<string, unknown> = { TRUSTED_PROXY_ISSUER: 'https://proxy.example' }): Record<string, unknown> {
  return {
    format: 'trusted-proxy-auth.enrollment/1',
    settings,
    enrolledAt: '2026-01-02T03:04:05Z',
    enrolledBy: { subject: 'ann', issuer: 'https://proxy.example', method: 'cli' },
    keySetUrl: null,
    keys: [],
    checks: [],
  }
}

describe('loadConfig with TRUSTED_PROXY_ENROLLMENT_FILE', () => {
  const recordAt = (name: string, settings: Record<string, unknown>): string => {
    const path = join(scratch, name)
    writeFileSync(path, JSON.stringify(validRecord(settings)))
    return path
  }
  const recorded = {
    TRUSTED_PROXY_ASSERTION_HEADER: 'X-Recorded',
    TRUSTED_PROXY_ISSUER: 'https://recorded.example',
    TRUSTED_PROXY_AUDIENCE: ['a', 'b'],
    TRUSTED_PROXY_JWKS_URL: 'https://recorded.example/jwks.json',
    TRUSTED_PROXY_MAX_AGE: 600,
  }

  it('is the lowest-precedence source: options > env > config file > record', () => {
    const path = recordAt('precedence.json', recorded)
    const configFile = join(scratch, 'config-file.json')
    writeFileSync(configFile, JSON.stringify({ TRUSTED_PROXY_ISSUER: 'https://file.example', TRUSTED_PROXY_AUDIENCE: 'file-app', TRUSTED_PROXY_MAX_AGE: 300 }))
    const alone = loadConfig({ TRUSTED_PROXY_ENROLLMENT_FILE: path })
    expect(alone).toMatchObject({ assertionHeader: 'X-Recorded', issuer: ['https://recorded.example'], audience: ['a', 'b'], maxAge: 600, jwksUrl: 'https://recorded.example/jwks.json' })
    const withFile = loadConfig({ TRUSTED_PROXY_ENROLLMENT_FILE: path, TRUSTED_PROXY_CONFIG_FILE: configFile })
    expect(withFile).toMatchObject({ issuer: ['https://file.example'], audience: ['file-app'], maxAge: 300, assertionHeader: 'X-Recorded' })
    const withEnv = loadConfig({ TRUSTED_PROXY_ENROLLMENT_FILE: path, TRUSTED_PROXY_CONFIG_FILE: configFile, TRUSTED_PROXY_ISSUER: 'https://env.example' })
    expect(withEnv).toMatchObject({ issuer: ['https://env.example'], audience: ['file-app'] })
    const withOption = loadConfig({ TRUSTED_PROXY_CONFIG_FILE: configFile, TRUSTED_PROXY_ISSUER: 'https://env.example' }, { issuer: 'https://option.example', enrollmentFile: path })
    expect(withOption).toMatchObject({ issuer: ['https://option.example'], audience: ['file-app'], assertionHeader: 'X-Recorded' })
  })

  it('treats a missing record as no settings', () => {
    expect(() => loadConfig({ TRUSTED_PROXY_ENROLLMENT_FILE: join(scratch, 'none.json') })).toThrow(expect.objectContaining({ detail: expect.stringContaining('TRUSTED_PROXY_ISSUER is required') }))
  })

  it('refuses an invalid record, a forbidden setting, and settings the runtime refuses, listing every problem', () => {
    const problemsOf = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env)
      } catch (error) {
        return ((error as TrustedProxyAuthError).problems ?? []).map((problem) => `${problem.variable} ${problem.message}`)
      }
      return []
    }
    const schemaBroken = join(scratch, 'schema-broken.json')
    writeFileSync(schemaBroken, JSON.stringify({ ...validRecord(recorded), enrolledAt: 'yesterday' }))
    expect(problemsOf({ TRUSTED_PROXY_ENROLLMENT_FILE: schemaBroken })).toContain('TRUSTED_PROXY_ENROLLMENT_FILE does not match the enrollment record schema at /enrolledAt (pattern)')
    const forbidden = recordAt('forbidden.json', { ...recorded, TRUSTED_PROXY_CONFIG_FILE: '/etc/other.json' })
    expect(problemsOf({ TRUSTED_PROXY_ENROLLMENT_FILE: forbidden }).join('\n')).toMatch(/TRUSTED_PROXY_ENROLLMENT_FILE does not match the enrollment record schema at \/settings/)
    const refused = recordAt('refused.json', { ...recorded, TRUSTED_PROXY_JWKS_URL: 'http://keys.example/jwks.json', TRUSTED_PROXY_ALGORITHMS: 'HS256' })
    expect(problemsOf({ TRUSTED_PROXY_ENROLLMENT_FILE: refused })).toEqual([
      'TRUSTED_PROXY_JWKS_URL must use https (plain http only for loopback hosts)',
      'TRUSTED_PROXY_ALGORITHMS "HS256" is not allowed: only asymmetric algorithms are accepted',
    ])
    // A refused record value stays an error even when a higher source hides it: the record may be used alone.
    expect(problemsOf({ TRUSTED_PROXY_ENROLLMENT_FILE: recordAt('hidden.json', { ...recorded, TRUSTED_PROXY_MAX_AGE: 'soon' }), TRUSTED_PROXY_MAX_AGE: '60' })).toEqual([
      'TRUSTED_PROXY_MAX_AGE must be a whole number (in TRUSTED_PROXY_ENROLLMENT_FILE)',
    ])
  })

  it('loads a record written by the CLI path and enforces it', async () => {
    const path = join(scratch, 'enforced.json')
    const token = await sign()
    const report = await checkEnrollment(proposal, token, { now: nowMs })
    await writeEnrollmentRecord(path, enrollmentRecord(report, proposal, 'cli'))
    const config = loadConfig({ TRUSTED_PROXY_ENROLLMENT_FILE: path })
    expect(config).toMatchObject({ issuer: ['https://proxy.example'], audience: ['app'], jwksUrl: issuer.jwksUrl, assertionHeader: 'X-Assertion' })
  })
})

describe('enrollment code', () => {
  it('has the contract length and alphabet, and differs each time', () => {
    const codes = Array.from({ length: 50 }, createEnrollmentCode)
    for (const code of codes) expect(code).toMatch(new RegExp(`^[${ENROLLMENT_CONTRACT.enrollmentCode.alphabet}]{${ENROLLMENT_CONTRACT.enrollmentCode.length}}$`))
    expect(new Set(codes).size).toBe(50)
  })

  it('matches only the same code, ignoring case, spaces and hyphens', () => {
    const code = createEnrollmentCode()
    expect(enrollmentCodeMatches(code, code)).toBe(true)
    expect(enrollmentCodeMatches(code, `${code.slice(0, 4)}-${code.slice(4, 8)} ${code.slice(8).toLowerCase()}`)).toBe(true)
    expect(enrollmentCodeMatches(code, code.slice(0, -1))).toBe(false)
    expect(enrollmentCodeMatches(code, '')).toBe(false)
    expect(enrollmentCodeMatches('', '')).toBe(false)
  })
})
