import { errorEntry, TrustedProxyAuthError } from './errors.js'
import { ERROR_CONTRACT } from './generated/contract.js'

/** An RFC 9457 problem body. It never contains the assertion or anything derived from it. */
export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  code: string
  instance?: string
}

export interface ProblemResponse {
  status: number
  headers: Record<string, string>
  body: ProblemBody
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export interface ProblemOptions {
  /**
   * `diagnostic`: `detail` is the message followed by the error's non-secret detail (which claim, the
   * received issuer, the key-fetch cause). Adapters pass `verifier.config.problemDetail`
   * (TRUSTED_PROXY_PROBLEM_DETAIL). Default `generic`: the contract's fixed message only.
   */
  problemDetail?: 'generic' | 'diagnostic'
}

/**
 * The HTTP answer for a rejected request: status from the contract, `WWW-Authenticate` for 401,
 * `Retry-After` for 503. Any other error becomes a generic 500 so internals are not exposed.
 */
export function toProblemDetails(error: unknown, instance?: string, options: ProblemOptions = {}): ProblemResponse {
  const known = error instanceof TrustedProxyAuthError ? error : new TrustedProxyAuthError('invalid_config')
  const entry = errorEntry(known.code)
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' }
  if (entry.status === 401) {
    const oauthError = entry.oauthError ? `, error="${entry.oauthError}"` : ''
    headers['www-authenticate'] = `Bearer realm="trusted-proxy"${oauthError}`
  }
  if (entry.status === 503) headers['retry-after'] = String(known.retryAfter ?? 5)
  const body: ProblemBody = {
    type: `${ERROR_CONTRACT.problemTypeBase}${entry.code}`,
    title: entry.title,
    status: entry.status,
    detail: options.problemDetail === 'diagnostic' && known.detail !== undefined ? `${entry.message}: ${known.detail}` : entry.message,
    code: entry.code,
  }
  if (instance !== undefined) body.instance = instance
  return { status: entry.status, headers, body }
}
