import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEnrollmentStack, type EnrollmentStack } from '../src/enrollment-stack.js'

/**
 * The one-click enrollment page in a real browser (Debian's Chromium driven by playwright-core) against the demo
 * stack: identity provider, identity-aware proxy, and an Express app mounted with `enrollment: true`. One browser
 * and one stack for the file; the states follow one another as an administrator would meet them. Each state is
 * photographed into test-artifacts/enrollment/ (git-ignored; `npm run screenshots` copies them to the docs).
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'
const SKIP_REASON = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM}; scripts/install-tools.sh installs Debian's chromium`
const SCREENSHOTS = fileURLToPath(new URL('../test-artifacts/enrollment/', import.meta.url))

let stack: EnrollmentStack
let browser: Browser
let page: Page
const cspViolations: string[] = []

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

async function protectedRoute(): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.proxy.url}/api/me`)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** Types the code from the app's log when the page asks for it (once accepted, this browser is remembered). */
async function enterCode(code: string | null = stack.currentCode()): Promise<void> {
  const field = page.locator('form[action$="/check"] input[name=code]')
  if ((await field.count()) > 0) await field.fill(code ?? '')
}

async function runChecks(): Promise<void> {
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Run checks' }).click()])
  await page.waitForLoadState('load')
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const checkResult = (id: string): Promise<string | null> => page.locator(`li[data-check="${id}"]`).getAttribute('data-result')

describe.skipIf(SKIP_REASON !== null)(SKIP_REASON ? `enrollment page in Chromium (skipped: ${SKIP_REASON})` : 'enrollment page in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    stack = await startEnrollmentStack()
    // --no-sandbox: CI containers and this machine run as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] })
    page = await browser.newPage({ viewport: { width: 1000, height: 900 } })
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text())
    })
  })

  afterAll(async () => {
    await browser?.close()
    await stack?.close()
  })

  it('before enrollment: protected routes answer 503 not_enrolled; the page shows what arrived and proposes the settings', async () => {
    const before = await protectedRoute()
    expect(before.status).toBe(503)
    expect(before.body['code']).toBe('not_enrolled')
    const response = await page.goto(stack.enrollUrl)
    expect(response?.status()).toBe(200)
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'")
    expect(response?.headers()['cache-control']).toBe('no-store')
    expect(await page.locator('h1').textContent()).toBe('Trust this proxy')
    expect(await page.locator('#arrived ~ h3').first().textContent()).toContain('x-identity-assertion')
    expect(await page.locator('body').textContent()).toContain(stack.issuer.issuer)
    expect(await page.locator('#setting-TRUSTED_PROXY_ISSUER').inputValue()).toBe(stack.issuer.issuer)
    expect(await page.locator('#setting-TRUSTED_PROXY_AUDIENCE').inputValue()).toBe('https://app.demo.test')
    // Every visible field has a label, and the code comes first in the tab order of the form.
    const unlabelled = await page.locator('input:not([type=hidden])').evaluateAll((inputs) => inputs.filter((input) => (input as HTMLInputElement).labels?.length === 0).length)
    expect(unlabelled).toBe(0)
    await page.locator('#code').focus()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.id)).toMatch(/^setting-/)
    await shot('1-not-enrolled')
  })

  it('a wrong code is refused and counted; focus moves to the message', async () => {
    await enterCode('WRONGCODE234')
    await runChecks()
    expect(await page.locator('#outcome').textContent()).toContain('Wrong enrollment code')
    expect(await page.locator('#outcome').textContent()).toContain('4 attempts left')
    // The served script ran under the CSP: it moved focus to the outcome.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('outcome')
    await shot('2-wrong-code')
  })

  it('a form without its CSRF token is refused before the code or any check', async () => {
    await page.goto(stack.enrollUrl)
    await page.locator('form[action$="/check"] input[name=csrf]').evaluate((input) => input.remove())
    await enterCode()
    await runChecks()
    expect(await page.locator('h1').textContent()).toBe('Request refused')
    expect(await page.locator('#outcome').textContent()).toContain('security token is missing')
    await shot('3-csrf-missing')
  })

  it('an assertion from an unexpected issuer fails the issuer check', async () => {
    await page.goto(stack.enrollUrl)
    stack.proxy.setExtraClaims({ iss: 'https://unexpected-issuer.example' })
    try {
      await enterCode()
      await runChecks()
    } finally {
      stack.proxy.setExtraClaims({})
    }
    expect(await checkResult('issuer')).toBe('fail')
    expect(await page.locator('li[data-check="issuer"]').textContent()).toContain('unexpected-issuer.example')
    expect(await page.getByRole('button', { name: 'Trust this proxy' }).count()).toBe(0)
    await shot('4-unexpected-issuer')
  })

  it('an unreachable key endpoint fails keys_reachable with its cause', async () => {
    await page.goto(stack.enrollUrl)
    await page.locator('#setting-TRUSTED_PROXY_JWKS_URL').fill(`http://127.0.0.1:${await closedPort()}/jwks.json`)
    await enterCode()
    await runChecks()
    expect(await checkResult('keys_reachable')).toBe('fail')
    expect(await page.locator('li[data-check="keys_reachable"]').textContent()).toMatch(/refused/i)
    await shot('5-keys-unreachable')
  })

  it('happy path: every check passes, "Trust this proxy" enrolls, and protected routes answer 200 with the identity', async () => {
    await page.goto(stack.enrollUrl)
    await enterCode()
    await runChecks()
    expect(await page.locator('#outcome').textContent()).toContain('Every check passed')
    const results = await page.locator('li[data-check]').evaluateAll((items) => items.map((item) => item.getAttribute('data-result')))
    expect(results.length).toBeGreaterThanOrEqual(9)
    expect(new Set(results)).toEqual(new Set(['pass']))
    await shot('6-checks-passed')
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Trust this proxy' }).click()])
    await page.waitForLoadState('load')
    expect(await page.locator('h1').textContent()).toBe('Enrollment status')
    expect(existsSync(stack.file)).toBe(true)
    const after = await protectedRoute()
    expect(after.status).toBe(200)
    expect(after.body['email']).toBe('ada@example.com')
    await page.goto(stack.enrollUrl)
    expect(await page.locator('h1').textContent()).toBe('Enrollment status')
    expect(await page.locator('#keys ~ table').first().textContent()).toContain(stack.issuer.currentKid)
    await shot('7-enrolled-status')
  })

  it('revoke: the record is removed, protected routes answer not_enrolled again, and a new code is logged', async () => {
    const codeBefore = stack.currentCode()
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Revoke this enrollment' }).click()])
    await page.waitForLoadState('load')
    expect(await page.locator('h1').textContent()).toBe('Enrollment revoked')
    expect(existsSync(stack.file)).toBe(false)
    const after = await protectedRoute()
    expect(after.status).toBe(503)
    expect(after.body['code']).toBe('not_enrolled')
    expect(stack.currentCode()).not.toBe(codeBefore)
    await shot('8-revoked')
    expect(cspViolations).toEqual([])
  })
})
