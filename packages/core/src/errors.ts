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

/** The `detail` of `invalid_config`: every problem, `<VARIABLE> <message>`, joined by `; `. */
export function problemsDetail(problems: readonly ConfigProblem[]): string {
  return problems.map((problem) => `${problem.variable} ${problem.message}`).join('; ')
}

/** What a TrustedProxyAuthError is built with besides its code. */
export interface TrustedProxyAuthErrorOptions {
  cause?: unknown
  /** Non-secret diagnosis, in the format contract/errors.json `detail` gives for the code. */
  detail?: string
  problems?: readonly ConfigProblem[]
  retryAfter?: number
}

/**
 * The only error the library throws for a rejected request or configuration. Its message is the
 * contract's fixed text for `code`: it never carries the assertion, a claim value or key material,
 * so it is safe to log. `detail` says which claim, value or network cause (contract/errors.json
 * `detail`), also safe to log. The lower-level cause (if any) is kept in `cause` for debugging only.
 */
export class TrustedProxyAuthError extends Error {
  readonly code: ErrorCode
  readonly status: number
  /**
   * Non-secret diagnosis in the format of contract/errors.json `detail` for the code (the claim's name,
   * the received and expected issuer, the key-fetch cause); undefined when there is nothing to add.
   * For `invalid_config` it lists every problem.
   */
  readonly detail?: string
  /** Every configuration problem, for `invalid_config`. */
  readonly problems: readonly ConfigProblem[] | undefined
  /** Seconds a client should wait, for `jwks_unavailable`. */
  readonly retryAfter: number | undefined

  constructor(code: ErrorCode, options: TrustedProxyAuthErrorOptions = {}) {
    const entry = errorEntry(code)
    super(entry.message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TrustedProxyAuthError'
    this.code = code
    this.status = entry.status
    this.problems = options.problems
    this.detail = options.detail ?? (options.problems && options.problems.length > 0 ? problemsDetail(options.problems) : undefined)
    this.retryAfter = options.retryAfter
  }
}

export function isTrustedProxyAuthError(value: unknown): value is TrustedProxyAuthError {
  return value instanceof TrustedProxyAuthError
}
