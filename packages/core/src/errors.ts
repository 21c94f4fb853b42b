import { ERROR_CONTRACT, type ErrorCode } from './generated/contract.js'

export type { ErrorCode }

/** One problem found in the configuration; `variable` names the TRUSTED_PROXY_* setting. */
export interface ConfigProblem {
  variable: string
  message: string
}

type ErrorEntry = (typeof ERROR_CONTRACT.errors)[number]

const ERRORS_BY_CODE = new Map<string, ErrorEntry>(ERROR_CONTRACT.errors.map((entry) => [entry.code, entry]))

export function errorEntry(code: ErrorCode): ErrorEntry {
  const entry = ERRORS_BY_CODE.get(code)
  if (!entry) throw new TypeError(`unknown error code ${code}`)
  return entry
}

export const ERROR_CODES: readonly ErrorCode[] = ERROR_CONTRACT.errors.map((entry) => entry.code)

/**
 * The only error the library throws for a rejected request or configuration. Its message is the
 * contract's fixed text for `code`: it never carries the assertion, a claim value or key material,
 * so it is safe to log. The lower-level cause (if any) is kept in `cause` for debugging only.
 */
export class TrustedProxyAuthError extends Error {
  readonly code: ErrorCode
  readonly status: number
  /** Every configuration problem, for `invalid_config`. */
  readonly problems: readonly ConfigProblem[] | undefined
  /** Seconds a client should wait, for `jwks_unavailable`. */
  readonly retryAfter: number | undefined
  /** A non-secret cause in words, e.g. for `jwks_unavailable` "connection refused" or "HTTP status 404". */
  readonly detail?: string

  constructor(
    code: ErrorCode,
    options: { cause?: unknown; problems?: readonly ConfigProblem[]; retryAfter?: number; detail?: string } = {},
  ) {
    const entry = errorEntry(code)
    super(entry.message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TrustedProxyAuthError'
    this.code = code
    this.status = entry.status
    this.problems = options.problems
    this.retryAfter = options.retryAfter
    if (options.detail !== undefined) this.detail = options.detail
  }
}

export function isTrustedProxyAuthError(value: unknown): value is TrustedProxyAuthError {
  return value instanceof TrustedProxyAuthError
}
