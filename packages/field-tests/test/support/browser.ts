import { CookieJar } from 'tough-cookie'

export interface Answer {
  status: number
  url: string
  headers: Headers
  body: string
  json: <T = Record<string, unknown>>() => T
}

/**
 * A scripted browser: one cookie jar, redirects followed by hand so each hop can be inspected, and the
 * provider's login form filled in and posted like a person would.
 */
export class Browser {
  readonly jar = new CookieJar()

  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
    const cookie = await this.jar.getCookieString(url)
    const headers = new Headers(init.headers)
    if (cookie) headers.set('cookie', cookie)
    const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' })
    for (const setCookie of response.headers.getSetCookie()) await this.jar.setCookie(setCookie, url, { ignoreError: true })
    const body = await response.text()
    return { status: response.status, url, headers: response.headers, body, json: <T>() => JSON.parse(body) as T }
  }

  /** Follows redirects from `url` until a non-redirect answer; every hop is returned, the last is the page. */
  async follow(url: string, init: { headers?: Record<string, string> } = {}, limit = 10): Promise<Answer[]> {
    const hops: Answer[] = []
    let next: string | null = url
    while (next && hops.length < limit) {
      const answer = await this.request(next, hops.length === 0 ? init : {})
      hops.push(answer)
      const location = answer.headers.get('location')
      next = answer.status >= 300 && answer.status < 400 && location ? new URL(location, next).toString() : null
    }
    return hops
  }

  /**
   * Signs in as `username` starting from a protected URL: the proxy's redirect to the provider, the
   * provider's login form posted with the user name, the callback, and back to the original URL.
   * Returns every hop; the last is the application's answer.
   */
  async signIn(protectedUrl: string, username: string): Promise<Answer[]> {
    const toLogin = await this.follow(protectedUrl)
    const form = toLogin.at(-1)!
    if (form.status !== 200 || !form.body.includes('<form')) throw new Error(`expected the provider's login form, got ${form.status} at ${form.url}: ${form.body.slice(0, 300)}`)
    const fields = new URLSearchParams()
    for (const [, name, value] of form.body.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields.append(decodeEntities(name!), decodeEntities(value!))
    fields.set('username', username)
    fields.set('password', 'any')
    const posted = await this.request(form.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() })
    const location = posted.headers.get('location')
    if (posted.status !== 302 || !location) throw new Error(`login form post answered ${posted.status}: ${posted.body.slice(0, 300)}`)
    return [...toLogin, posted, ...(await this.follow(new URL(location, form.url).toString()))]
  }
}

function decodeEntities(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|#39);/gi, (entity, code: string) => {
    if (code[0] === '#') return String.fromCodePoint(code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10))
    return ({ amp: '&', lt: '<', gt: '>', quot: '"' } as Record<string, string>)[code.toLowerCase()] ?? entity
  })
}
