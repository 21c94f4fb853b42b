import { isLoopbackHost } from './addresses.js'
import { CHECKS_CONTRACT } from './generated/contract.js'

// Node's fetch refuses these ports before connecting; refusing them in the configuration gives the same answer
// in both languages and says why at start-up instead of at the first request.
const BLOCKED_PORTS: ReadonlySet<string> = new Set(CHECKS_CONTRACT.keyUrl.blockedPorts.map(String))

/**
 * Why `text` cannot be a key URL (TRUSTED_PROXY_JWKS_URL's rules), or null when it can: an absolute
 * https URL, or http for loopback hosts only, on a port the Fetch standard does not block
 * (contract/checks.json `keyUrl`). The same rules apply to URLs a preset derives, to an issuer used for
 * discovery and to a discovery document's `jwks_uri`.
 */
export function keyUrlProblem(text: string): string | null {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'must be an absolute URL'
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
  if (!secure) return 'must use https (plain http only for loopback hosts)'
  if (BLOCKED_PORTS.has(url.port)) return `must not use port ${url.port}, which the Fetch standard blocks`
  return null
}
