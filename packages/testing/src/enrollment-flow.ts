import { DEFAULT_ASSERTION_HEADER } from './request-helpers.js'

/** The enrollment page's default mount path (ENROLL-API.md). */
export const ENROLLMENT_PATH = '/.well-known/trusted-proxy-auth/enroll'

export interface EnrollThroughPageOptions {
  /** The application's base URL (a listening server on loopback). */
  readonly baseUrl: string
  /** A fresh assertion for each request, as the proxy would add it. */
  readonly sign: () => Promise<string>
  /** The enrollment code the application logged. */
  readonly code: () => string | null
  /** Header the assertion travels in. Default `X-Test-Assertion`. */
  readonly header?: string
  /** Setting fields to submit (name → value), e.g. the issuer, audience and key-set URL the page proposed. */
  readonly settings: Readonly<Record<string, string>>
  /** Mount path. Default `/.well-known/trusted-proxy-auth/enroll`. */
  readonly path?: string
}

/** Status codes of each step (and the CSRF-less attempt) of one enrollment through the page. */
export interface EnrollmentFlowResult {
  readonly page: number
  readonly pageContentSecurityPolicy: string | null
  readonly withoutCsrf: number
  readonly check: number
  readonly trust: number
  readonly trustBody: string
}

/**
 * Walks through the one-click enrollment page as a browser would, over real HTTP: loads the page (cookie and
 * CSRF token), posts a form without the token (must be refused), runs the checks with the code, then trusts with
 * the cookie and token the accepted code renewed.
 * Every request carries a fresh assertion in `header`. For adapter tests: it proves the adapter routes the page,
 * parses its URL-encoded forms and passes the headers and cookie through.
 */
export async function enrollThroughPage(options: EnrollThroughPageOptions): Promise<EnrollmentFlowResult> {
  const header = options.header ?? DEFAULT_ASSERTION_HEADER
  const mount = `${options.baseUrl}${options.path ?? ENROLLMENT_PATH}`
  const page = await fetch(mount, { headers: { [header]: await options.sign() } })
  const html = await page.text()
  let cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!
  let csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
  const fields = Object.fromEntries(Object.entries(options.settings).map(([name, value]) => [`setting.${name}`, value]))
  const post = async (action: string, form: Record<string, string>): Promise<Response> =>
    fetch(`${mount}/${action}`, {
      method: 'POST',
      headers: { [header]: await options.sign(), cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    })
  const withoutCsrf = await post('check', { code: options.code() ?? '', ...fields })
  await withoutCsrf.body?.cancel()
  const check = await post('check', { csrf, code: options.code() ?? '', ...fields })
  // An accepted code gives the browser a new cookie nonce (and so a new form token), as a browser would keep it.
  const renewed = check.headers.get('set-cookie')
  const checkHtml = await check.text()
  if (renewed) {
    cookie = renewed.split(';')[0]!
    csrf = /name="csrf" value="([^"]+)"/.exec(checkHtml)?.[1] ?? csrf
  }
  const trust = await post('trust', { csrf, ...fields })
  return {
    page: page.status,
    pageContentSecurityPolicy: page.headers.get('content-security-policy'),
    withoutCsrf: withoutCsrf.status,
    check: check.status,
    trust: trust.status,
    trustBody: await trust.text(),
  }
}
