import { headerValues, type HeadersInput } from '../../request-headers.js'

/** The cookie that binds a form to the browser that loaded it (SameSite=Strict, HttpOnly). */
export const CSRF_COOKIE = 'tpa_enroll_csrf'
/** The form field that carries the token derived from the cookie. */
export const CSRF_FIELD = 'csrf'

const encoder = new TextEncoder()

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let index = 0; index < a.length; index++) difference |= a.charCodeAt(index) ^ b.charCodeAt(index)
  return difference === 0
}

/** The value of one cookie in the request's Cookie headers, or null. */
export function cookieValue(headers: HeadersInput, name: string): string | null {
  for (const header of headerValues(headers, 'cookie')) {
    for (const part of header.split(';')) {
      const separator = part.indexOf('=')
      if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim()
    }
  }
  return null
}

/**
 * Signed double-submit CSRF protection (OWASP CSRF Prevention Cheat Sheet, "signed double-submit cookie"): the
 * cookie holds a random nonce, every form holds HMAC-SHA-256(process secret, nonce). A cross-site page can
 * neither read the cookie (HttpOnly, SameSite=Strict) nor compute the token without the secret, which never
 * leaves the process. Browsers that send `Sec-Fetch-Site` are also held to same-origin (Origin is not compared
 * with Host: proxies commonly rewrite Host).
 */
export class CsrfProtection {
  private readonly key: Promise<CryptoKey>

  constructor() {
    this.key = crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  }

  /** The nonce of the request's cookie, or a new one (then `setCookie` is the header that stores it). */
  session(headers: HeadersInput, secure: boolean, path: string): { nonce: string; setCookie: string | null } {
    const existing = cookieValue(headers, CSRF_COOKIE)
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { nonce: existing, setCookie: null }
    return this.freshSession(secure, path)
  }

  /**
   * A new nonce and the header that stores it, whatever the request carried: given when the enrollment code is
   * accepted, so that a nonce planted in the administrator's browser beforehand (a cookie set from a sibling
   * domain, say) is not the one the code is remembered for (session fixation, OWASP Session Management).
   */
  freshSession(secure: boolean, path: string): { nonce: string; setCookie: string } {
    const nonce = base64url(crypto.getRandomValues(new Uint8Array(32)))
    const attributes = [`${CSRF_COOKIE}=${nonce}`, `Path=${path}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])]
    return { nonce, setCookie: attributes.join('; ') }
  }

  /** The form token for a cookie nonce. */
  async token(nonce: string): Promise<string> {
    return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', await this.key, encoder.encode(nonce))))
  }

  /**
   * Whether a state-changing request carries the token of its own cookie and, where the browser says so,
   * comes from this origin. The reason is shown to the administrator (it holds nothing secret).
   */
  async verify(headers: HeadersInput, form: Readonly<Record<string, string>> | null): Promise<{ ok: true; nonce: string } | { ok: false; reason: string }> {
    const site = headerValues(headers, 'sec-fetch-site')[0]
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return { ok: false, reason: `the form was sent from another site (Sec-Fetch-Site: ${site})` }
    const nonce = cookieValue(headers, CSRF_COOKIE)
    if (!nonce) return { ok: false, reason: 'the page’s security cookie is missing (cookies blocked, or the page was not loaded first)' }
    const given = form?.[CSRF_FIELD]
    if (!given) return { ok: false, reason: 'the form’s security token is missing' }
    if (!constantTimeEqual(given, await this.token(nonce))) return { ok: false, reason: 'the form’s security token does not match this browser’s' }
    return { ok: true, nonce }
  }
}
