import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, type TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createEnrollmentPage, toProblemDetails, type EnrollmentPage, type EnrollmentPageRequest, type EnrollmentPageResponse, type Logger } from '../src/index.js'
import type { EnrollmentOperations, EnrollmentRecord, EnrollmentReport } from '../src/enrollment/page/enrollment-operations.js'
import { EnrollmentCodeGuard, WRONG_ATTEMPTS_BEFORE_ROTATION, WRONG_ATTEMPTS_PER_SESSION } from '../src/enrollment/page/enrollment-code-guard.js'

/**
 * The page's own rules (CSRF, one-time code, headers, escaping, the switch to enforcing and back) with the
 * enrollment module's functions replaced by a recording double: the checks themselves are tested with that
 * module; here a report is whatever the test says.
 */
const HEADER = 'X-Assertion'
const ISSUER = 'https://proxy.example'
let issuer: TestIssuer
let directory: string
let file: string
let lines: string[]
let page: EnrollmentPage
let reportOk: boolean
let checkCalls: number
let codeCounter: number

const logger: Logger = { debug: () => {}, info: (line) => lines.push(line), warn: (line) => lines.push(line), error: (line) => lines.push(line) }
const loggedCodes = (): string[] => lines.flatMap((line) => /enrollment code ([A-Z0-9]{12})/.exec(line)?.[1] ?? [])

function operations(): EnrollmentOperations {
  return {
    async checkEnrollment(proposal): Promise<EnrollmentReport> {
      checkCalls++
      return {
        ok: reportOk,
        checks: [
          { id: 'issuer', title: 'Issuer matches the proposed issuer', result: reportOk ? 'pass' : 'fail', ...(reportOk ? {} : { detail: 'iss "https://other.example" is not "https://proxy.example"' }) },
          { id: 'fresh', title: 'The assertion is current', result: reportOk ? 'pass' : 'not_run' },
        ],
        decoded: null,
        keySetUrl: String(proposal.settings['TRUSTED_PROXY_JWKS_URL'] ?? ''),
        keys: [{ kid: issuer.currentKid, kty: 'EC', alg: 'ES256', thumbprint: 'A'.repeat(43) }],
        subject: 'ada',
        issuer: ISSUER,
      }
    },
    async proposeSettings({ assertion }) {
      expect(assertion.split('.')).toHaveLength(3)
      return { settings: { TRUSTED_PROXY_ISSUER: [ISSUER], TRUSTED_PROXY_AUDIENCE: ['app'], TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl } }
    },
    enrollmentRecord(report, proposal, method, now): EnrollmentRecord {
      return {
        format: 'trusted-proxy-auth.enrollment/1',
        settings: { ...proposal.settings },
        enrolledAt: (now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        enrolledBy: { subject: report.subject!, issuer: report.issuer!, method },
        keySetUrl: report.keySetUrl,
        keys: report.keys,
        checks: report.checks.map((check) => ({ id: check.id, result: 'pass' as const })),
      }
    },
    async writeEnrollmentRecord(path, record) {
      writeFileSync(path, JSON.stringify(record), { mode: 0o600 })
    },
    readEnrollmentRecord: (path) => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as EnrollmentRecord) : null),
    async revokeEnrollment(path) {
      rmSync(path, { force: true })
    },
    createEnrollmentCode: () => `ABCDEFGHJK${String(++codeCounter).padStart(2, '2')}`,
    enrollmentCodeMatches: (expected, given) => expected === given,
  }
}

beforeAll(async () => {
  issuer = await createTestIssuer({ issuer: ISSUER, audience: 'app', subject: 'ada' })
})

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'tpa-enroll-page-'))
  file = join(directory, 'enrollment.json')
  lines = []
  reportOk = true
  checkCalls = 0
  codeCounter = 20
  // Until the record exists the runtime has no settings of its own; the env here carries them so the enforcing
  // verifier can be built whether or not loadConfig reads the record (the record's own loading is tested with it).
  page = createEnrollmentPage({
    file,
    env: { TRUSTED_PROXY_ASSERTION_HEADER: HEADER, TRUSTED_PROXY_ISSUER: ISSUER, TRUSTED_PROXY_AUDIENCE: 'app', TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl },
    overrides: {},
    logger,
    dependencies: { fetch: async () => Response.json(issuer.jwks()) },
    operations: operations(),
  })
})

afterEach(() => {
  page.close()
  rmSync(directory, { recursive: true, force: true })
})

const MOUNT = '/.well-known/trusted-proxy-auth/enroll'

interface Browser {
  cookie: string | null
  request(method: string, path: string, options?: { form?: Record<string, string>; claims?: Record<string, unknown>; headers?: Array<[string, string]> }): Promise<EnrollmentPageResponse>
  token(response: EnrollmentPageResponse): string
}

function browser(): Browser {
  const state: Browser = {
    cookie: null,
    async request(method, path, options = {}) {
      const assertion = await issuer.sign(options.claims ?? {})
      const headers: Array<[string, string]> = [['host', '127.0.0.1:3000'], [HEADER, assertion], ...(options.headers ?? [])]
      if (state.cookie) headers.push(['cookie', state.cookie])
      const request: EnrollmentPageRequest = { method, path, headers, form: options.form ?? (method === 'POST' ? {} : null), peerAddress: '127.0.0.1' }
      const response = await page.handle(request)
      const setCookie = response.headers['set-cookie']
      if (setCookie) state.cookie = setCookie.split(';')[0]!
      expect(response.body).not.toContain(assertion)
      return response
    },
    token: (response) => /name="csrf" value="([^"]+)"/.exec(response.body)![1]!,
  }
  return state
}

const settingsForm = (): Record<string, string> => ({
  'setting.TRUSTED_PROXY_ASSERTION_HEADER': HEADER,
  'setting.TRUSTED_PROXY_ISSUER': ISSUER,
  'setting.TRUSTED_PROXY_AUDIENCE': 'app',
  'setting.TRUSTED_PROXY_JWKS_URL': issuer.jwksUrl,
})

async function protectedAnswer(claims: Record<string, unknown> = {}): Promise<{ status: number; code: string | null; subject: string | null }> {
  try {
    const identity = await page.verifier.verifyRequest({ headers: { [HEADER]: await issuer.sign(claims) } })
    return { status: 200, code: null, subject: identity?.subject ?? null }
  } catch (error) {
    const problem = toProblemDetails(error)
    return { status: problem.status, code: String(problem.body.code), subject: null }
  }
}

describe('enrollment page, not enrolled', () => {
  it('logs one code at start-up, never answers it, and protected routes answer 503 not_enrolled', async () => {
    expect(loggedCodes()).toEqual(['ABCDEFGHJK21'])
    const answer = await protectedAnswer()
    expect(answer).toEqual({ status: 503, code: 'not_enrolled', subject: null })
    const response = await browser().request('GET', MOUNT)
    expect(response.body).not.toContain('ABCDEFGHJK21')
  })

  it('answers with a strict CSP, no-store, nosniff and a SameSite=Strict HttpOnly cookie', async () => {
    const response = await browser().request('GET', MOUNT)
    expect(response.status).toBe(200)
    expect(response.headers['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['set-cookie']).toMatch(/^tpa_enroll_csrf=[A-Za-z0-9_-]{43}; Path=\/\.well-known\/trusted-proxy-auth\/enroll; HttpOnly; SameSite=Strict$/)
    expect(response.body).not.toMatch(/<script>|\sstyle=|\son[a-z]+=/)
    for (const asset of ['enroll.js', 'enroll.css']) {
      const served = await page.handle({ method: 'GET', path: `${MOUNT}/${asset}`, headers: [], form: null, peerAddress: null })
      expect(served.status).toBe(200)
      expect(served.headers['content-type']).toMatch(asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/)
      // The bytes both languages serve: contract/enrollment-page.json.
      const lines = JSON.parse(readFileSync(new URL('../../../contract/enrollment-page.json', import.meta.url), 'utf8')) as { script: string[]; style: string[] }
      expect(served.body).toBe((asset.endsWith('.js') ? lines.script : lines.style).join('\n'))
    }
  })

  it('marks the cookie Secure unless the page is opened on a loopback host', async () => {
    const response = await page.handle({ method: 'GET', path: MOUNT, headers: [['host', 'app.example.com']], form: null, peerAddress: null })
    expect(response.headers['set-cookie']).toMatch(/; Secure$/)
  })

  it('shows which header carried the assertion and its decoded claims, escaped', async () => {
    const response = await browser().request('GET', MOUNT, { claims: { name: '<script>alert(1)</script>', email: 'ada@example.com' } })
    expect(response.body).toContain('Header <code>X-Assertion</code> (checked)')
    expect(response.body).toContain(ISSUER)
    expect(response.body).toContain(issuer.currentKid)
    expect(response.body).not.toContain('<script>alert(1)')
    expect(response.body).toContain('&#60;script&#62;alert(1)')
    expect(response.body).toContain(`value="${issuer.jwksUrl.replace(/[=]/g, '&#61;')}"`)
  })

  it('refuses every action without the CSRF token, from another site, or with a foreign token, before any check runs', async () => {
    const visitor = browser()
    const token = visitor.token(await visitor.request('GET', MOUNT))
    const missing = await visitor.request('POST', `${MOUNT}/check`, { form: { code: 'ABCDEFGHJK21', ...settingsForm() } })
    expect(missing.status).toBe(403)
    expect(missing.body).toContain('security token is missing')
    const crossSite = await visitor.request('POST', `${MOUNT}/trust`, { form: { csrf: token, code: 'ABCDEFGHJK21', ...settingsForm() }, headers: [['sec-fetch-site', 'cross-site']] })
    expect(crossSite.status).toBe(403)
    const other = browser()
    await other.request('GET', MOUNT)
    const foreign = await other.request('POST', `${MOUNT}/trust`, { form: { csrf: token, code: 'ABCDEFGHJK21', ...settingsForm() } })
    expect(foreign.status).toBe(403)
    expect(checkCalls).toBe(0)
    expect(existsSync(file)).toBe(false)
  })

  it('locks a browser session after its wrong codes while another session with the right code still enrolls', async () => {
    const visitor = browser()
    const token = visitor.token(await visitor.request('GET', MOUNT))
    for (let attempt = 1; attempt < WRONG_ATTEMPTS_PER_SESSION; attempt++) {
      const wrong = await visitor.request('POST', `${MOUNT}/check`, { form: { csrf: token, code: 'WRONGWRONG22', ...settingsForm() } })
      expect(wrong.status).toBe(403)
      expect(wrong.body).toContain(`${WRONG_ATTEMPTS_PER_SESSION - attempt} attempt`)
    }
    const last = await visitor.request('POST', `${MOUNT}/check`, { form: { csrf: token, code: 'WRONGWRONG22', ...settingsForm() } })
    expect(last.status).toBe(403)
    expect(last.body).toContain('reload the enrollment page to start over')
    // Locked: even the right code is refused in this session, and the logged code stays the same.
    const locked = await visitor.request('POST', `${MOUNT}/check`, { form: { csrf: token, code: 'ABCDEFGHJK21', ...settingsForm() } })
    expect(locked.status).toBe(403)
    expect(locked.body).toContain('reload the enrollment page to start over')
    expect(checkCalls).toBe(0)
    expect(loggedCodes()).toEqual(['ABCDEFGHJK21'])
    // Another browser with the logged code enrolls.
    const admin = browser()
    const adminToken = admin.token(await admin.request('GET', MOUNT))
    const trusted = await admin.request('POST', `${MOUNT}/trust`, { form: { csrf: adminToken, code: 'ABCDEFGHJK21', ...settingsForm() } })
    expect(trusted.status).toBe(200)
    expect(existsSync(file)).toBe(true)
  })

  it('gives a locked browser a new session when it loads the page again', async () => {
    const visitor = browser()
    const token = visitor.token(await visitor.request('GET', MOUNT))
    for (let attempt = 0; attempt < WRONG_ATTEMPTS_PER_SESSION; attempt++) {
      await visitor.request('POST', `${MOUNT}/check`, { form: { csrf: token, code: 'WRONGWRONG22', ...settingsForm() } })
    }
    const lockedCookie = visitor.cookie
    const reloaded = await visitor.request('GET', MOUNT)
    expect(visitor.cookie).not.toBe(lockedCookie)
    const accepted = await visitor.request('POST', `${MOUNT}/check`, { form: { csrf: visitor.token(reloaded), code: 'abcdefghjk21', ...settingsForm() } })
    expect(accepted.status).toBe(200)
    expect(checkCalls).toBe(1)
  })

  it('keeps the logged code through a flood of wrong codes from many sessions', async () => {
    const sessions = 20
    for (let index = 0; index < sessions; index++) {
      const attacker = browser()
      const token = attacker.token(await attacker.request('GET', MOUNT, { claims: { sub: 'mallory' } }))
      for (let attempt = 0; attempt <= WRONG_ATTEMPTS_PER_SESSION; attempt++) {
        const wrong = await attacker.request('POST', `${MOUNT}/check`, { form: { csrf: token, code: 'WRONGWRONG22', ...settingsForm() }, claims: { sub: 'mallory' } })
        expect(wrong.status).toBe(403)
      }
    }
    expect(sessions * WRONG_ATTEMPTS_PER_SESSION).toBeLessThan(WRONG_ATTEMPTS_BEFORE_ROTATION)
    expect(loggedCodes()).toEqual(['ABCDEFGHJK21'])
    expect(lines).toHaveLength(1)
    const admin = browser()
    const accepted = await admin.request('POST', `${MOUNT}/check`, { form: { csrf: admin.token(await admin.request('GET', MOUNT)), code: 'ABCDEFGHJK21', ...settingsForm() } })
    expect(accepted.status).toBe(200)
  })

  it('gives the browser a new nonce when the code is accepted, so a nonce planted beforehand never acts without the code', async () => {
    // The attacker picks a nonce, loads the page with it (learning its form token) and plants the cookie in the
    // administrator's browser (a cookie set from a sibling domain, say).
    const attacker = browser()
    attacker.cookie = `tpa_enroll_csrf=${'A'.repeat(43)}`
    const attackerToken = attacker.token(await attacker.request('GET', MOUNT, { claims: { sub: 'mallory' } }))
    const admin = browser()
    admin.cookie = attacker.cookie
    const checked = await admin.request('POST', `${MOUNT}/check`, { form: { csrf: attackerToken, code: 'ABCDEFGHJK21', ...settingsForm() } })
    expect(checked.status).toBe(200)
    expect(checked.headers['set-cookie']).toMatch(/^tpa_enroll_csrf=[A-Za-z0-9_-]{43}; Path=/)
    expect(admin.cookie).not.toBe(attacker.cookie)
    // The planted nonce is not remembered: without the code the attacker's trust is refused, nothing is stored.
    const hijack = await attacker.request('POST', `${MOUNT}/trust`, { form: { csrf: attackerToken, ...settingsForm() }, claims: { sub: 'mallory' } })
    expect(hijack.status).toBe(403)
    expect(hijack.body).toContain('Wrong enrollment code')
    expect(existsSync(file)).toBe(false)
    // The administrator's new nonce is: trust without typing the code again.
    const trusted = await admin.request('POST', `${MOUNT}/trust`, { form: { csrf: admin.token(checked), ...settingsForm() } })
    expect(trusted.status).toBe(200)
    expect((JSON.parse(readFileSync(file, 'utf8')) as EnrollmentRecord).enrolledBy.subject).toBe('ada')
  })

  it('does not store anything when a check fails', async () => {
    reportOk = false
    const visitor = browser()
    const token = visitor.token(await visitor.request('GET', MOUNT))
    const response = await visitor.request('POST', `${MOUNT}/trust`, { form: { csrf: token, code: 'ABCDEFGHJK21', ...settingsForm() } })
    expect(response.status).toBe(422)
    expect(response.body).toContain('data-check="issuer" data-result="fail"')
    expect(response.body).toContain('is not &#34;https://proxy.example&#34;')
    expect(existsSync(file)).toBe(false)
  })
})

describe('enrollment page, trusting and revoking', () => {
  it('checks, trusts (the code asked once), switches to enforcing without a restart, shows status to the administrator only, and revokes', async () => {
    const admin = browser()
    const token = admin.token(await admin.request('GET', MOUNT))
    const checked = await admin.request('POST', `${MOUNT}/check`, { form: { csrf: token, code: 'ABCDEFGHJK21', ...settingsForm() } })
    expect(checked.status).toBe(200)
    expect(checked.body).toContain('Trust this proxy</button>')
    expect(checked.body).toContain('The enrollment code was accepted in this browser.')
    const trusted = await admin.request('POST', `${MOUNT}/trust`, { form: { csrf: admin.token(checked), ...settingsForm() } })
    expect(trusted.status).toBe(200)
    expect(trusted.body).toContain('Enrollment status')
    const record = JSON.parse(readFileSync(file, 'utf8')) as EnrollmentRecord
    expect(record.enrolledBy).toEqual({ subject: 'ada', issuer: ISSUER, method: 'page' })
    expect(record.settings['TRUSTED_PROXY_ISSUER']).toEqual([ISSUER])
    expect(lines.some((line) => line.includes('enrolled through') && line.includes('ada'))).toBe(true)

    expect(await protectedAnswer({ sub: 'grace' })).toEqual({ status: 200, code: null, subject: 'grace' })
    expect((await protectedAnswer({ aud: 'other' })).code).toBe('audience_mismatch')

    const status = await admin.request('GET', MOUNT)
    expect(status.status).toBe(200)
    expect(status.body).toContain(issuer.currentKid)
    expect(status.body).toMatch(/<td class="mono">audience_mismatch<\/td><td>1<\/td>/)
    const stranger = await browser().request('GET', MOUNT, { claims: { sub: 'mallory' } })
    expect(stranger.status).toBe(403)

    const revokeWithoutToken = await admin.request('POST', `${MOUNT}/revoke`, { form: {} })
    expect(revokeWithoutToken.status).toBe(403)
    expect(existsSync(file)).toBe(true)
    const revoked = await admin.request('POST', `${MOUNT}/revoke`, { form: { csrf: admin.token(status) } })
    expect(revoked.status).toBe(200)
    expect(existsSync(file)).toBe(false)
    expect((await protectedAnswer()).code).toBe('not_enrolled')
    expect(loggedCodes()).toEqual(['ABCDEFGHJK21', 'ABCDEFGHJK22'])
    expect(lines.join('\n')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/)
  })

  it('takes up a record written outside the page (the enroll CLI) at the next page request', async () => {
    const written = operations()
    const report = await written.checkEnrollment({ settings: {} }, 'unused')
    const settings = { TRUSTED_PROXY_ISSUER: [ISSUER], TRUSTED_PROXY_AUDIENCE: ['app'], TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl }
    await written.writeEnrollmentRecord(file, written.enrollmentRecord(report, { settings }, 'cli'))
    expect((await protectedAnswer()).code).toBe('not_enrolled')
    const status = await browser().request('GET', MOUNT)
    expect(status.status).toBe(200)
    expect(status.body).toContain('via the command line')
    expect((await protectedAnswer()).status).toBe(200)
  })
})

describe('enrollment code guard rotation', () => {
  it('rotates only after the global number of wrong codes, logging exactly one new code', () => {
    // The page of beforeEach logged a code already; this guard logs its own.
    lines = []
    codeCounter = 20
    const guard = new EnrollmentCodeGuard(operations(), logger, MOUNT, () => 0)
    guard.rotate('no enrollment record yet')
    let session = 0
    let wrongInSession = 0
    for (let attempt = 1; attempt < WRONG_ATTEMPTS_BEFORE_ROTATION; attempt++) {
      if (wrongInSession === WRONG_ATTEMPTS_PER_SESSION) {
        session++
        wrongInSession = 0
      }
      wrongInSession++
      expect(guard.attempt(`session-${session}`, 'fresh', 'WRONGWRONG22')).toBe(wrongInSession === WRONG_ATTEMPTS_PER_SESSION ? 'locked' : 'wrong')
    }
    // Attempts of a locked session are refused without counting.
    expect(guard.attempt('session-0', 'fresh', 'WRONGWRONG22')).toBe('locked')
    expect(loggedCodes()).toEqual(['ABCDEFGHJK21'])
    expect(guard.attempt('last', 'fresh', 'WRONGWRONG22')).toBe('rotated')
    expect(loggedCodes()).toEqual(['ABCDEFGHJK21', 'ABCDEFGHJK22'])
    expect(lines).toHaveLength(2)
    expect(guard.attempt('admin', 'old', 'ABCDEFGHJK21')).toBe('wrong')
    expect(guard.attempt('admin', 'new', 'ABCDEFGHJK22')).toBe('accepted')
    expect(guard.remembered('new')).toBe(true)
    expect(lines).toHaveLength(2)
  })
})
