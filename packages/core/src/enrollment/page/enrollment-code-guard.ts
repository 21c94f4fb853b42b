import { ENROLLMENT_CONTRACT } from '../../generated/contract.js'
import { safeLog, type Logger } from '../../logger.js'
import type { EnrollmentOperations } from './enrollment-operations.js'

/** contract/enrollment.json enrollmentCode: wrong codes one browser session may enter before it is refused. */
export const WRONG_ATTEMPTS_PER_SESSION: number = ENROLLMENT_CONTRACT.enrollmentCode.wrongAttemptsPerSession
/** contract/enrollment.json enrollmentCode: wrong codes over all sessions after which a new code is logged. */
export const WRONG_ATTEMPTS_BEFORE_ROTATION: number = ENROLLMENT_CONTRACT.enrollmentCode.wrongAttemptsBeforeRotation
/** How long a browser that gave the right code may act without typing it again (check, then trust). */
export const CODE_SESSION_MS = 10 * 60_000

/** `locked`: this session entered too many wrong codes (the code was not compared); `rotated`: a new code was logged. */
export type CodeOutcome = 'accepted' | 'wrong' | 'locked' | 'rotated'

/**
 * The one-time enrollment code (contract/enrollment.json `enrollmentCode`): created from a CSPRNG and written
 * to the application log (never to a response), compared in constant time. Wrong codes are counted per browser
 * session (CSRF nonce): after WRONG_ATTEMPTS_PER_SESSION that session is refused. The code itself is replaced
 * only after WRONG_ATTEMPTS_BEFORE_ROTATION wrong codes over all sessions (guessing is infeasible, so anyone
 * sending wrong codes can neither make the logged code stale nor flood the log), after a successful enrollment
 * and after a revoke. A browser that gave the right code is remembered by its new CSRF nonce for
 * CODE_SESSION_MS, so "Run checks" then "Trust this proxy" asks for it once. Both maps are emptied on every
 * rotation; a wrong-count entry needs a wrong attempt, so they hold at most WRONG_ATTEMPTS_BEFORE_ROTATION entries.
 */
export class EnrollmentCodeGuard {
  private code: string | null = null
  private wrongAttempts = 0
  private wrongBySession = new Map<string, number>()
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
    this.forgetAttempts()
    safeLog(this.logger, 'warn', `not enrolled (${reason}): open ${this.mountPath} through the proxy and enter the enrollment code ${this.code}`)
  }

  /** No code is valid (enrolled). */
  retire(): void {
    this.code = null
    this.forgetAttempts()
  }

  /** Whether this browser already gave the right code recently. */
  remembered(nonce: string): boolean {
    const until = this.sessions.get(nonce)
    return until !== undefined && until > this.clock()
  }

  /** Whether this browser session entered WRONG_ATTEMPTS_PER_SESSION wrong codes (it must load the page again). */
  locked(nonce: string): boolean {
    return (this.wrongBySession.get(nonce) ?? 0) >= WRONG_ATTEMPTS_PER_SESSION
  }

  /**
   * Checks a typed code from the session `sessionNonce` (the verified CSRF nonce the request came with). A
   * locked session is refused without comparing; the right code remembers the browser by `rememberAs` (the
   * page's fresh nonce, never the one the request came with); a wrong one counts for the session and globally,
   * and the WRONG_ATTEMPTS_BEFORE_ROTATION-th global one rotates the code.
   */
  attempt(sessionNonce: string, rememberAs: string, given: string): CodeOutcome {
    if (this.locked(sessionNonce)) return 'locked'
    if (this.code !== null && this.operations.enrollmentCodeMatches(this.code, given.trim().toUpperCase().replace(/[\s-]/g, ''))) {
      this.sessions.set(rememberAs, this.clock() + CODE_SESSION_MS)
      return 'accepted'
    }
    this.wrongAttempts++
    if (this.wrongAttempts >= WRONG_ATTEMPTS_BEFORE_ROTATION) {
      this.rotate(`${WRONG_ATTEMPTS_BEFORE_ROTATION} wrong enrollment codes were entered; the previous code is void`)
      return 'rotated'
    }
    this.wrongBySession.set(sessionNonce, (this.wrongBySession.get(sessionNonce) ?? 0) + 1)
    return this.locked(sessionNonce) ? 'locked' : 'wrong'
  }

  /** Wrong attempts this browser session has left before it is refused. */
  attemptsLeft(nonce: string): number {
    return Math.max(0, WRONG_ATTEMPTS_PER_SESSION - (this.wrongBySession.get(nonce) ?? 0))
  }

  private forgetAttempts(): void {
    this.wrongAttempts = 0
    this.wrongBySession = new Map()
    this.sessions = new Map()
  }
}
