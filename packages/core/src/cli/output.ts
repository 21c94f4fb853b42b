import type { TrustedProxyAuthError } from '../errors.js';
import { errorEntry } from '../errors.js'
import type { TrustedIdentity } from '../identity.js'
import { printable } from '../detail-text.js'

/** Exit codes of every `trusted-proxy-auth` command (the brief's shared decision; Python uses the same). */
export const EXIT_OK = 0
export const EXIT_REJECTED = 1
export const EXIT_USAGE = 2
export const EXIT_KEYS_UNAVAILABLE = 3

export function exitCodeFor(error: TrustedProxyAuthError): number {
  if (error.code === 'invalid_config') return EXIT_USAGE
  if (error.code === 'jwks_unavailable') return EXIT_KEYS_UNAVAILABLE
  return EXIT_REJECTED
}

/** The non-secret cause carried by an error (`detail`, filled for key failures), or the fallback given. */
export function errorDetail(error: TrustedProxyAuthError, fallback: string | null = null): string | null {
  const detail = (error as { detail?: unknown }).detail
  return typeof detail === 'string' && detail !== '' ? detail : fallback
}

/** `{"code","status","message"[,"detail"][,"problems"]}`: never the token, a claim value or key material. */
export function errorBody(error: TrustedProxyAuthError, detail: string | null = errorDetail(error)): Record<string, unknown> {
  const entry = errorEntry(error.code)
  const body: Record<string, unknown> = { code: error.code, status: entry.status, message: entry.message }
  if (detail !== null) body['detail'] = detail
  if (error.problems) body['problems'] = error.problems
  return body
}

export function errorJson(error: TrustedProxyAuthError, detail?: string | null): string {
  return JSON.stringify({ ok: false, error: errorBody(error, detail === undefined ? errorDetail(error) : detail) }) + '\n'
}

function when(seconds: number | null): string {
  return seconds === null ? '-' : new Date(Math.floor(seconds) * 1000).toISOString().replace('.000Z', 'Z')
}

/** What a person at a terminal sees for a verified identity (JSON is for pipes and `--json`). */
export function identitySummary(identity: TrustedIdentity | null): string {
  if (identity === null) return 'verified: no assertion (mode optional): anonymous\n'
  // Claims are signed, not trusted to be harmless: a display name may carry terminal escape sequences.
  const show = (text: string): string => printable(text)
  const lines = [
    'verified',
    `  subject:   ${show(identity.subject)}`,
    `  issuer:    ${show(identity.issuer)}`,
    `  audience:  ${show(identity.audience.join(', '))}`,
    `  email:     ${identity.email === null ? '-' : show(identity.email)}${identity.emailVerified === true ? ' (verified)' : ''}`,
    `  name:      ${identity.name === null ? '-' : show(identity.name)}`,
    `  groups:    ${identity.groups.length > 0 ? show(identity.groups.join(', ')) : '-'}`,
    `  issued:    ${when(identity.issuedAt)}`,
    `  expires:   ${when(identity.expiresAt)}`,
  ]
  return lines.join('\n') + '\n'
}

/** The terminal form of a rejection: code, fixed message, the cause and every configuration problem. */
export function errorSummary(error: TrustedProxyAuthError, detail: string | null = errorDetail(error)): string {
  const entry = errorEntry(error.code)
  const lines = [`${error.code === 'invalid_config' ? 'configuration error' : error.code === 'jwks_unavailable' ? 'keys unavailable' : 'rejected'}: ${error.code} (${entry.status}): ${entry.message}`]
  if (detail !== null) lines.push(`  cause: ${detail}`)
  for (const problem of error.problems ?? []) lines.push(`  ${problem.variable}: ${problem.message}`)
  return lines.join('\n') + '\n'
}
