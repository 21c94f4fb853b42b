import type { TrustedProxyAuthConfig } from './config.js'
import type { KeySource } from './key-sources/key-source.js'
import { quoted, quotedList } from './detail-text.js'

/** More clock tolerance than this is worth a warning: an expired assertion stays usable that long. */
export const RISKY_CLOCK_TOLERANCE_SECONDS = 300

/**
 * A URL as it may be logged: without user information, query or fragment (which can carry credentials).
 * Plain text rules rather than URL parsing, so that a `{kid}` template stays readable and Python agrees.
 */
export function loggableUrl(url: string): string {
  return url.split('#')[0]!.split('?')[0]!.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/]*@/, '$1')
}

function keySourceText(source: KeySource | undefined): string {
  if (!source) return 'none'
  switch (source.kind) {
    case 'jwks':
      return `jwks ${loggableUrl(source.url)}`
    case 'discovery':
      return `discovery ${loggableUrl(source.discoveryUrl)}`
    case 'kidTemplate':
      return `pem-per-kid ${loggableUrl(source.template)}`
    case 'jwksFile':
      return `jwks-file ${quoted(source.path)}`
    case 'inlineJwks':
      return `inline-jwks (${source.keys.length} keys)`
    case 'sharedSecret':
      return 'shared-secret'
  }
}

/** TRUSTED_PROXY_ISSUERS: each entry's issuer and key source. */
function issuersText(config: TrustedProxyAuthConfig): string {
  return config.issuers.map((entry) => `${quoted(entry.issuer)}:${keySourceText(entry.keySource)}`).join(', ')
}

const LOOPBACK_HOST = /^(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]+)?$/i

function isPlainHttpOutsideLoopback(url: string): boolean {
  const match = /^http:\/\/(?:[^/@]*@)?([^/?#]*)/i.exec(url)
  return match !== null && !LOOPBACK_HOST.test(match[1]!)
}

/** The one start-up line: the effective configuration, never the shared secret or URL credentials. */
export function configurationSummary(config: TrustedProxyAuthConfig): string {
  const parts = [
    `preset=${config.preset ?? 'none'}`,
    `header=${quoted(config.assertionHeader)}`,
    ...(config.issuers.length > 0 ? [`issuers=[${issuersText(config)}]`] : [`keys=${keySourceText(config.keySource)}`, `issuer=${quotedList(config.issuer)}`]),
    `audience=${quotedList(config.audience)}`,
    `algorithms=${config.algorithms.join(',')}`,
    `mode=${config.mode}`,
    `clockTolerance=${config.clockTolerance}s`,
    `maxAge=${config.maxAge === null ? 'none' : `${config.maxAge}s`}`,
    `requiredClaims=${config.requiredClaims.length}`,
    `trustedAddresses=${config.trustedAddresses.length}`,
    `requiredHeaders=${config.requiredHeaders.length}`,
    `allowedUsers=${config.allowedUsers.length}`,
    `allowedGroups=${config.allowedGroups.length}`,
    `problemDetail=${config.problemDetail}`,
  ]
  return `configured: ${parts.join(' ')}`
}

/** Warnings for settings that are allowed but weaken the protection; one line each. */
export function riskySettings(config: TrustedProxyAuthConfig): string[] {
  const warnings: string[] = []
  if (config.mode === 'optional' && config.trustedAddresses.length === 0) {
    warnings.push('TRUSTED_PROXY_MODE=optional without TRUSTED_PROXY_TRUSTED_ADDRESSES: a request that bypasses the proxy is let through unauthenticated')
  }
  if (config.clockTolerance > RISKY_CLOCK_TOLERANCE_SECONDS) {
    warnings.push(`TRUSTED_PROXY_CLOCK_TOLERANCE=${config.clockTolerance} is more than ${RISKY_CLOCK_TOLERANCE_SECONDS} s: expired assertions stay accepted that long`)
  }
  const sources = config.issuers.length > 0 ? config.issuers.map((entry) => entry.keySource) : [config.keySource]
  for (const source of sources) {
    const keyUrl = source?.kind === 'jwks' ? source.url : source?.kind === 'discovery' ? source.discoveryUrl : source?.kind === 'kidTemplate' ? source.template : null
    if (keyUrl !== null && isPlainHttpOutsideLoopback(keyUrl)) {
      warnings.push(`the key URL ${loggableUrl(keyUrl)} is plain http outside loopback: keys can be replaced in transit`)
    }
  }
  const source = config.keySource
  if (source?.kind === 'sharedSecret') {
    warnings.push('keys=shared-secret: assertions are verified with a shared HS256 secret, so anyone holding it can mint identities')
  }
  return warnings
}
