import { loadConfig, type EnvInput, type TrustedProxyAuthConfig, type TrustedProxyAuthOptions } from '../../config.js'
import { isTrustedProxyAuthError, TrustedProxyAuthError, type ErrorCode } from '../../errors.js'
import type { TrustedIdentity } from '../../identity.js'
import type { KeyStatus } from '../../key-store.js'
import type { CacheCounts } from '../../verified-assertion-cache.js'
import { createVerifier, type RequestLike, type Verifier, type VerifierDependencies, type VerifyOptions } from '../../verifier.js'
import { verifyRequestNow, type VerdictNowOrLater } from '../../verify-request-now.js'
import type { EnrollmentOperations, EnrollmentRecord } from './enrollment-operations.js'

/** Rejections of protected requests since enrollment, per error code (the status view's "recent failures"). */
export interface FailureCount {
  readonly code: ErrorCode
  readonly count: number
  /** ms since the epoch */
  readonly lastAt: number
}

export interface EnrollmentAwareVerifierOptions {
  /** The enrollment record's path (TRUSTED_PROXY_ENROLLMENT_FILE). */
  readonly file: string
  readonly env: EnvInput
  readonly overrides: TrustedProxyAuthOptions
  readonly dependencies: VerifierDependencies
  readonly operations: Pick<EnrollmentOperations, 'readEnrollmentRecord'>
  /** Where the administrator enrolls; named in the not_enrolled detail. */
  readonly mountPath: string
}

const NOT_LOADED_STATUS: KeyStatus = Object.freeze({
  state: 'unavailable',
  keyCount: 0,
  lastFetchAt: null,
  lastSuccessAt: null,
  lastError: null,
  nextRetryAt: null,
  fetchCount: 0,
})

/**
 * A Verifier whose configuration comes from the enrollment record and can change while the application runs:
 * without a record every verification fails with `not_enrolled` (503, contract/enrollment.json `notEnrolled`);
 * `reload()` after the record is written or removed switches to enforcing (a verifier built by the same
 * loadConfig, record as its lowest-precedence source) or back, without a restart.
 */
export class EnrollmentAwareVerifier implements Verifier {
  private current: { verifier: Verifier; record: EnrollmentRecord } | null = null
  private failures = new Map<ErrorCode, { count: number; lastAt: number }>()
  private readonly clock: () => number

  constructor(private readonly options: EnrollmentAwareVerifierOptions) {
    this.clock = options.dependencies.clock ?? Date.now
    this.reload()
  }

  /** Whether a valid enrollment record is in force. */
  get enrolled(): boolean {
    return this.current !== null
  }

  /** The record in force, or null. */
  get record(): EnrollmentRecord | null {
    return this.current?.record ?? null
  }

  /** @throws TrustedProxyAuthError `not_enrolled` while no record is in force. */
  get config(): TrustedProxyAuthConfig {
    return this.active().config
  }

  /** The problem-details setting in force (`generic` until enrolled). */
  get problemDetail(): TrustedProxyAuthConfig['problemDetail'] {
    return this.current?.verifier.config.problemDetail ?? 'generic'
  }

  /**
   * Reads the record again and builds the verifier it describes (or none). The previous verifier is closed only
   * after the new one is in place, so requests in flight finish on the configuration they started with.
   * @throws TrustedProxyAuthError `invalid_config` when the record is invalid or the runtime refuses its settings;
   * the previous state is kept then.
   */
  reload(): void {
    const { file, env, overrides, dependencies, operations } = this.options
    const record = operations.readEnrollmentRecord(file)
    let next: { verifier: Verifier; record: EnrollmentRecord } | null = null
    if (record) {
      const config = loadConfig({ ...env, TRUSTED_PROXY_ENROLLMENT_FILE: file }, overrides)
      next = { verifier: createVerifier(config, dependencies), record }
    }
    const previous = this.current
    this.current = next
    this.failures = new Map()
    previous?.verifier.close()
  }

  /** Rejections per error code since the current enrollment, most frequent first. */
  recentFailures(): FailureCount[] {
    return [...this.failures.entries()].map(([code, entry]) => ({ code, ...entry })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
  }

  async verifyAssertion(token: string, options?: VerifyOptions): Promise<TrustedIdentity> {
    return this.counted(() => this.active().verifyAssertion(token, options))
  }

  async verifyRequest(request: RequestLike, options?: VerifyOptions): Promise<TrustedIdentity | null> {
    return this.counted(() => this.active().verifyRequest(request, options))
  }

  /** verifyRequest, with an acceptance decided at once returned as it is (see Verifier.verifyRequestNow). */
  verifyRequestNow(request: RequestLike, options?: VerifyOptions): VerdictNowOrLater {
    let active: Verifier
    try {
      active = this.active()
    } catch (error) {
      return Promise.reject(error)
    }
    const verdict = verifyRequestNow(active, request, options)
    // Every rejection comes as a promise, so counting failures needs only the promise path.
    return verdict instanceof Promise ? this.counted(() => verdict) : verdict
  }

  /** Verifies without counting a failure (the enrollment page's own administrator check). */
  async verifyAdministrator(request: RequestLike): Promise<TrustedIdentity | null> {
    return this.active().verifyRequest(request)
  }

  ready(options?: { timeout?: number }): Promise<void> {
    return this.current ? this.current.verifier.ready(options) : Promise.resolve()
  }

  status(): KeyStatus {
    return this.current ? this.current.verifier.status() : NOT_LOADED_STATUS
  }

  cacheCounts(): CacheCounts {
    return this.current ? this.current.verifier.cacheCounts() : { size: 0, hits: 0, misses: 0 }
  }

  close(): void {
    this.current?.verifier.close()
  }

  private active(): Verifier {
    if (!this.current) {
      throw new TrustedProxyAuthError('not_enrolled', { detail: `no enrollment record yet: an administrator enrolls at ${this.options.mountPath} through the proxy` })
    }
    return this.current.verifier
  }

  private async counted<T>(verify: () => Promise<T>): Promise<T> {
    try {
      return await verify()
    } catch (error) {
      if (isTrustedProxyAuthError(error) && error.code !== 'not_enrolled') {
        const entry = this.failures.get(error.code) ?? { count: 0, lastAt: 0 }
        this.failures.set(error.code, { count: entry.count + 1, lastAt: this.clock() })
      }
      throw error
    }
  }
}

/** The problem-details options for a verifier that may be enrollment-aware (its configuration exists only once enrolled). */
export function verifierProblemOptions(verifier: Verifier): { problemDetail: TrustedProxyAuthConfig['problemDetail'] } {
  return { problemDetail: verifier instanceof EnrollmentAwareVerifier ? verifier.problemDetail : verifier.config.problemDetail }
}
