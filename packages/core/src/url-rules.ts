import { isLoopbackHost } from './addresses.js'

/**
 * Why `text` cannot be a key URL (TRUSTED_PROXY_JWKS_URL's rules), or null when it can: an absolute
 * https URL, or http for loopback hosts only. The same rules apply to URLs a preset derives and to a
 * discovery document's `jwks_uri`.
 */
export function keyUrlProblem(text: string): string | null {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'must be an absolute URL'
  }
  if (url.protocol === 'https:') return null
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null
  return 'must use https (plain http only for loopback hosts)'
}
