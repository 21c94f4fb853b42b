import { safeLog, type Logger } from '../../logger.js'
import type { EnrollmentOperations } from './enrollment-operations.js'

/** contract/enrollment.json enrollmentCode: a new code after this many wrong attempts. */
export const WRONG_ATTEMPTS_BEFORE_ROTATION = 5
/** How long a browser that gave the right code may act without typing it again (check, then trust). */
export const CODE_SESSION_MS = 10 * 60_000

export type CodeOutcome = 'accepted' | 'wrong' | 'rotated'

/**
 * The one-time enrollment code (contract/enrollment.json `enrollmentCode`): created from a CSPRNG and written
 * to the application log (never to a response), compared in constant time, replaced after 5 wrong attempts
 * and after a successful enrollment. A browser that gave the right code is remembered by its CSRF nonce for
 * CODE_SESSION_MS, so "Run checks" then "Trust this proxy" asks for it once.
 */
export class EnrollmentCodeGuard {
  private code: string | null = null
  private wrongAttempts = 0
  private sessions = new Map<string, number>()

  constructor(
    private readonly operations: Pick<EnrollmentOperations, 'createEnrollmentCode' | 'enrollmentCodeMatches'>,
    private readonly logger: Logger,
    private readonly mountPath: string,
    private readonly clock: () => number,
  ) {}

  /** Creates and logs a new code (start-up while not enrolled, after revoke, after too many wrong attempts). */
  rotate(reason: string): void {
    this.code = this.operations.createEnrollmentCode()
    this.wrongAttempts = 0
    this.sessions = new Map()
    safeLog(this.logger, 'warn', `not enrolled (${reason}): open ${this.mountPath} through the proxy and enter the enrollment code ${this.code}`)
  }

  /** No code is valid (enrolled). */
  retire(): void {
    this.code = null
    this.wrongAttempts = 0
    this.sessions = new Map()
  }

  /** Whether this browser already gave the right code recently. */
  remembered(nonce: string): boolean {
    const until = this.sessions.get(nonce)
    return until !== undefined && until > this.clock()
  }

  /**
   * Checks a typed code; the right one remembers the browser by `rememberAs` (the page's fresh nonce, never the
   * one the request came with), the 5th wrong one rotates the code.
   */
  attempt(rememberAs: string, given: string): CodeOutcome {
    if (this.code !== null && this.operations.enrollmentCodeMatches(this.code, given.trim().toUpperCase().replace(/[\s-]/g, ''))) {
      this.sessions.set(rememberAs, this.clock() + CODE_SESSION_MS)
      return 'accepted'
    }
    this.wrongAttempts++
    if (this.wrongAttempts >= WRONG_ATTEMPTS_BEFORE_ROTATION) {
      this.rotate(`${WRONG_ATTEMPTS_BEFORE_ROTATION} wrong enrollment codes were entered; the previous code is void`)
      return 'rotated'
    }
    return 'wrong'
  }

  /** Wrong attempts left before the code is replaced. */
  get attemptsLeft(): number {
    return WRONG_ATTEMPTS_BEFORE_ROTATION - this.wrongAttempts
  }
}
