import { numberText, quoted } from './detail-text.js'
import type { TrustedProxyAuthEvent } from './events.js'
import { logsAt, safeLog, type Logger, type LogLevel } from './logger.js'
import { loggableUrl } from './startup-report.js'

/**
 * Turns the verifier's events into log lines (the same lines Python's `trusted_proxy_auth` logger writes):
 * the first key load at info (or warn when it fails), later refreshes at debug, failed refreshes and stale
 * keys at warn, each rejection with its detail at debug (`jwks_unavailable` at warn).
 */
export function eventLogger(logger: Logger, level: LogLevel = 'debug'): (event: TrustedProxyAuthEvent) => void {
  let loaded = false
  // The per-request lines are not even built below debug: every verification emits one.
  const perRequestLines = logsAt(level, 'debug')
  return (event) => {
    switch (event.type) {
      case 'jwks_fetch_ok': {
        const line = `keys loaded: ${event.keyCount} keys (${event.ignoredCount} ignored) from ${loggableUrl(event.url)} in ${numberText(Math.round(event.durationMs))} ms`
        safeLog(logger, loaded ? 'debug' : 'info', line)
        loaded = true
        return
      }
      case 'jwks_fetch_failed':
        safeLog(logger, 'warn', `${loaded ? 'key refresh failed' : 'keys not loaded'}: ${loggableUrl(event.url)}: ${event.reason}`)
        return
      case 'jwks_key_ignored':
        safeLog(logger, 'debug', `key ${event.kid === null ? 'without kid' : `kid ${quoted(event.kid)}`} ignored: ${event.reason}`)
        return
      case 'jwks_stale_served':
        safeLog(logger, 'warn', `serving keys fetched ${event.ageSeconds} s ago: refreshes are failing`)
        return
      case 'unknown_kid':
        safeLog(logger, 'debug', `unknown ${event.kid === null ? 'kid-less assertion' : `kid ${quoted(event.kid)}`}${event.refetched ? ', key set refetched' : ''}`)
        return
      case 'verify_ok':
        if (!perRequestLines) return
        safeLog(logger, 'debug', `verified subject ${quoted(event.subject)}`)
        return
      case 'verify_failed':
        // Debug even for jwks_unavailable: the failed fetch is logged once per fetch (warn), while every request
        // rejected meanwhile would flood the log with the same cause.
        if (!perRequestLines) return
        safeLog(logger, 'debug', `rejected ${event.code}${event.detail === undefined ? '' : `: ${event.detail}`}`)
        return
      case 'enrollment_revoked':
        safeLog(logger, 'warn', `enrollment revoked: ${quoted(event.path)}${event.by === null ? '' : ` by ${quoted(event.by)}`}`)
        return
    }
  }
}
