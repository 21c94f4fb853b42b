import type { TrustedProxyAuthEvent } from '@mieweb/trusted-proxy-auth'
import { dim } from './output.js'

/** What the verifier reports about its keys, as one short line (events never carry the assertion). */
export function describeKeyEvent(event: TrustedProxyAuthEvent): string | null {
  switch (event.type) {
    case 'jwks_fetch_ok':
      return `keys fetched: ${event.keyCount} usable key${event.keyCount === 1 ? '' : 's'} in ${Math.round(event.durationMs)} ms`
    case 'jwks_fetch_failed':
      return `keys fetch failed: ${event.reason}`
    case 'unknown_kid':
      return `${event.kid === null ? 'no key verified a kid-less assertion' : `unknown key id ${event.kid}`}${event.refetched ? ', fetching the key set again' : ''}`
    case 'jwks_stale_served':
      return `serving the last good key set (${event.ageSeconds} s old)`
    default:
      return null
  }
}

export function printKeyEvent(event: TrustedProxyAuthEvent): void {
  const text = describeKeyEvent(event)
  if (text) console.log(dim(`      · verifier: ${text}`))
}
