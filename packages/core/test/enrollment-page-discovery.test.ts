import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, type TestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { defaultEnrollmentOperations } from '../src/enrollment/page/default-operations.js'
import { createEnrollmentPage, type EnrollmentPage, type EnrollmentPageResponse, type Logger } from '../src/index.js'

/**
 * The page's proposal reads the issuer from an assertion nobody has verified yet. OpenID discovery from it would
 * let anyone who reaches the page make the application fetch a URL of their choosing and read the cause of
 * failure on the page (connection refused, HTTP status, timeout: a scan of the internal network). So discovery
 * runs only for a browser that gave the enrollment code. The real enrollment module, a recording fetch.
 */
const HEADER = 'X-Assertion'
const MOUNT = '/.well-known/trusted-proxy-auth/enroll'
const INTERNAL = 'https://10.0.0.7:8443/internal'
let issuer: TestIssuer
let directory: string
let page: EnrollmentPage
let fetched: string[]
let lines: string[]

const logger: Logger = { debug: () => {}, info: (line) => lines.push(line), warn: (line) => lines.push(line), error: (line) => lines.push(line) }

/** An assertion anyone can write: three base64url segments, any claims, no valid signature. */
function forged(claims: Record<string, unknown>): string {
  const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${segment({ alg: 'ES256', kid: 'k' })}.${segment(claims)}.${Buffer.from('not a signature').toString('base64url')}`
}

beforeAll(async () => {
  issuer = await createTestIssuer({ issuer: 'https://proxy.example', audience: 'app', subject: 'ada' })
})

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'tpa-enroll-discovery-'))
  fetched = []
  lines = []
  page = createEnrollmentPage({
    file: join(directory, 'enrollment.json'),
    env: {},
    overrides: {},
    logger,
    dependencies: {
      fetch: async (input) => {
        const url = String(input instanceof Request ? input.url : input)
        fetched.push(url)
        if (url === 'https://proxy.example/.well-known/openid-configuration') return Response.json({ issuer: 'https://proxy.example', jwks_uri: issuer.jwksUrl })
        if (url === issuer.jwksUrl) return Response.json(issuer.jwks())
        throw new TypeError('fetch failed: connect ECONNREFUSED')
      },
    },
    operations: defaultEnrollmentOperations,
  })
})

afterEach(() => {
  page.close()
  rmSync(directory, { recursive: true, force: true })
})

async function request(method: string, path: string, assertion: string, cookie: string | null, form: Record<string, string> | null = null): Promise<EnrollmentPageResponse> {
  const headers: Array<[string, string]> = [['host', '127.0.0.1:3000'], [HEADER, assertion], ...(cookie ? ([['cookie', cookie]] as Array<[string, string]>) : [])]
  return page.handle({ method, path, headers, form, peerAddress: '127.0.0.1' })
}

const csrfOf = (response: EnrollmentPageResponse): string => /name="csrf" value="([^"]+)"/.exec(response.body)![1]!
const cookieOf = (response: EnrollmentPageResponse, previous: string | null): string | null => response.headers['set-cookie']?.split(';')[0] ?? previous

describe('enrollment page discovery', () => {
  it('an anonymous visitor’s forged issuer is never fetched from', async () => {
    const response = await request('GET', MOUNT, forged({ iss: INTERNAL, aud: 'app', sub: 'mallory' }), null)
    expect(response.status).toBe(200)
    expect(fetched).toEqual([])
    expect(response.body).not.toContain('ECONNREFUSED')
    expect(response.body).toContain('the key set URL is then found by OpenID discovery')
  })

  it('after the code, the issuer in the form is discovered and the checks pass', async () => {
    const code = (): string => /enrollment code ([A-Z0-9]{12})/.exec(lines.join('\n'))![1]!
    const first = await request('GET', MOUNT, await issuer.sign({}), null)
    expect(fetched).toEqual([])
    let cookie = cookieOf(first, null)
    const form = { csrf: csrfOf(first), code: code(), 'setting.TRUSTED_PROXY_ASSERTION_HEADER': HEADER, 'setting.TRUSTED_PROXY_ISSUER': 'https://proxy.example', 'setting.TRUSTED_PROXY_AUDIENCE': 'app' }
    const checked = await request('POST', `${MOUNT}/check`, await issuer.sign({}), cookie, form)
    expect(checked.status).toBe(200)
    expect(fetched[0]).toBe('https://proxy.example/.well-known/openid-configuration')
    expect(checked.body).toContain(`value="${issuer.jwksUrl}"`)
    cookie = cookieOf(checked, cookie)
    // The browser that gave the code gets the discovered proposal on the page itself too.
    const again = await request('GET', MOUNT, await issuer.sign({}), cookie)
    expect(again.body).toContain(`value="${issuer.jwksUrl}"`)
  })
})
