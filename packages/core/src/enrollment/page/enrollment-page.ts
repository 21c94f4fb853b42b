import type { EnvInput, TrustedProxyAuthOptions } from '../../config.js'
import { isTrustedProxyAuthError, TrustedProxyAuthError } from '../../errors.js'
import type { TrustedIdentity } from '../../identity.js'
import { levelFilteredLogger, safeLog, type Logger } from '../../logger.js'
import { headerValues, type HeadersInput } from '../../request-headers.js'
import type { VerifierDependencies } from '../../verifier.js'
import { arrivedAssertions } from './arrived-assertions.js'
import { CsrfProtection } from './csrf.js'
import { EnrollmentAwareVerifier } from './enrollment-aware-verifier.js'
import { EnrollmentCodeGuard, WRONG_ATTEMPTS_BEFORE_ROTATION, WRONG_ATTEMPTS_PER_SESSION } from './enrollment-code-guard.js'
import type { EnrollmentCheckResult, EnrollmentOperations, EnrollmentProposal, SettingValue } from './enrollment-operations.js'
import { PAGE_SCRIPT, PAGE_STYLE } from './page-assets.js'
import { renderMessage, renderNotEnrolled, renderStatus, type PageMessage } from './page-view.js'
import { proposalFromForm } from './settings-form.js'

/** Where the page is mounted unless configured otherwise (ENROLL-API.md). */
export const DEFAULT_ENROLLMENT_PATH = '/.well-known/trusted-proxy-auth/enroll'

/** What an application chooses about its enrollment page; every adapter takes it as its `enrollment` option. */
export interface EnrollmentSettings {
  /** Where the page is served (an absolute path without a trailing slash). Default `/.well-known/trusted-proxy-auth/enroll`. */
  readonly path?: string
  /** The enrollment record's path. Default TRUSTED_PROXY_ENROLLMENT_FILE (one of the two is required). */
  readonly file?: string
  /** Propose settings from this preset (contract/presets.json) instead of from the assertion alone. */
  readonly preset?: string
  /** Propose the key-set URL through OpenID discovery from the assertion's issuer (default true). */
  readonly discovery?: boolean
  /**
   * The CSRF cookie's `Secure` attribute. `auto` (default): set unless the request's Host is a loopback name or
   * address (a browser drops Secure cookies on plain http).
   */
  readonly secureCookie?: boolean | 'auto'
}

/** One request as the page needs it: any framework can build this (sans-I/O). */
export interface EnrollmentPageRequest {
  readonly method: string
  /** The request path (a query string is ignored). */
  readonly path: string
  readonly headers: HeadersInput
  /** The parsed `application/x-www-form-urlencoded` body of a POST, else null. */
  readonly form: Readonly<Record<string, string>> | null
  /** The socket peer (or the framework's trusted-proxy-aware address). */
  readonly peerAddress: string | null
}

export interface EnrollmentPageResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export interface EnrollmentPageOptions extends EnrollmentSettings {
  /** TRUSTED_PROXY_* variables (the record's settings rank below them). */
  readonly env: EnvInput
  /** Options in code (they rank above env). */
  readonly overrides: TrustedProxyAuthOptions
  /** Receives the enrollment code, enrollment events and the verifier's lines; default: the code and events to standard error. */
  readonly logger?: Logger
  readonly dependencies: VerifierDependencies
  readonly operations: EnrollmentOperations
}

/** A mounted enrollment page and the verifier protected routes use. */
export interface EnrollmentPage {
  readonly mountPath: string
  /** Answers `not_enrolled` until enrolled, then verifies with the record's settings (switched without a restart). */
  readonly verifier: EnrollmentAwareVerifier
  /** Whether a request path belongs to the page (it must then not be verified, and goes to `handle`). */
  handles(path: string): boolean
  handle(request: EnrollmentPageRequest): Promise<EnrollmentPageResponse>
  close(): void
}

/** Longest form body the adapters read for the page (the settings of one proposal fit many times over). */
export const MAX_FORM_BYTES = 64 * 1024

const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i

function pathOnly(path: string): string {
  const query = path.search(/[?#]/)
  return query === -1 ? path : path.slice(0, query)
}

function normalisedMountPath(path: string | undefined): string {
  const mount = (path ?? DEFAULT_ENROLLMENT_PATH).replace(/\/+$/, '')
  if (!mount.startsWith('/') || /[?#\s]/.test(mount)) throw new TypeError(`enrollment.path must be an absolute path without query or spaces, got ${JSON.stringify(path)}`)
  return mount
}

/**
 * The one-click "Trust this proxy" page (contract/enrollment.json; ENROLL-API.md "Page routes") as a sans-I/O
 * handler: GET `<path>` shows what arrived with the request, the proposed settings and (once enrolled, to an
 * enrolled administrator) the status; POST `<path>/check` runs the checks, `<path>/trust` writes the record and
 * switches `verifier` to enforcing, `<path>/revoke` removes it. Every POST needs the CSRF token; while not enrolled
 * also the one-time code from the log. Responses are `no-store` under a strict CSP; the assertion is decoded for
 * display only and never stored or logged.
 * @throws TrustedProxyAuthError `invalid_config` when neither `file` nor TRUSTED_PROXY_ENROLLMENT_FILE names the record, or an existing record is invalid.
 */
export function createEnrollmentPage(options: EnrollmentPageOptions): EnrollmentPage {
  const mountPath = normalisedMountPath(options.path)
  const file = options.file ?? (options.overrides as { enrollmentFile?: string }).enrollmentFile ?? options.env['TRUSTED_PROXY_ENROLLMENT_FILE']
  if (!file) {
    throw invalidConfig('enrollment', 'needs the record’s path: set TRUSTED_PROXY_ENROLLMENT_FILE or enrollment.file')
  }
  const { operations, env, dependencies } = options
  const logger = options.logger ?? levelFilteredLogger('info')
  const clock = dependencies.clock ?? Date.now
  const verifier = new EnrollmentAwareVerifier({ file, env, overrides: options.overrides, dependencies: options.logger ? { ...dependencies, logger: options.logger } : dependencies, operations, mountPath })
  const csrf = new CsrfProtection()
  const codes = new EnrollmentCodeGuard(operations, logger, mountPath, clock)
  if (!verifier.enrolled) codes.rotate('no enrollment record yet')
  const checkOptions = { env, now: clock, ...(dependencies.fetch ? { fetch: dependencies.fetch } : {}) }

  const handles = (path: string): boolean => {
    const bare = pathOnly(path)
    return bare === mountPath || bare.startsWith(`${mountPath}/`)
  }

  /** The header the checks read: the configured one, else the first that carried an assertion. */
  function challenge(request: EnrollmentPageRequest, settings: Readonly<Record<string, SettingValue>>): { header: string | null; assertion: string | null } {
    const arrived = arrivedAssertions(request.headers)
    const configured = (options.overrides.assertionHeader as string | undefined) ?? env['TRUSTED_PROXY_ASSERTION_HEADER'] ?? (settings['TRUSTED_PROXY_ASSERTION_HEADER'] as string | undefined)
    if (configured) {
      const match = arrived.find((item) => item.header.toLowerCase() === configured.toLowerCase())
      return { header: configured, assertion: match?.assertion ?? null }
    }
    return { header: arrived[0]?.header ?? null, assertion: arrived[0]?.assertion ?? null }
  }

  /**
   * The proposal for the page. OpenID discovery fetches from the assertion's issuer, and the assertion is not
   * verified yet (anyone who reaches the page can send one): so discovery runs only for a browser that gave the
   * enrollment code, never for an anonymous visitor, who could otherwise make the application request any https
   * (or loopback http) URL and read the cause of failure on the page (a scan of the internal network).
   */
  async function propose(request: EnrollmentPageRequest, nonce: string): Promise<{ settings: Record<string, SettingValue>; problem: string | null; discoveryWithheld: boolean }> {
    const { header, assertion } = challenge(request, {})
    if (!assertion) return { settings: header ? { TRUSTED_PROXY_ASSERTION_HEADER: header } : {}, problem: null, discoveryWithheld: false }
    const discovery = (options.discovery ?? true) && codes.remembered(nonce)
    try {
      const proposal = await operations.proposeSettings({
        assertion,
        env,
        ...(header ? { assertionHeader: header } : {}),
        ...(dependencies.fetch ? { fetch: dependencies.fetch } : {}),
        ...(options.preset ? { preset: options.preset } : {}),
        discovery,
      })
      const settings: Record<string, SettingValue> = { ...proposal.settings }
      if (header && settings['TRUSTED_PROXY_ASSERTION_HEADER'] === undefined && settings['TRUSTED_PROXY_PRESET'] === undefined) settings['TRUSTED_PROXY_ASSERTION_HEADER'] = header
      return { settings, problem: null, discoveryWithheld: (options.discovery ?? true) && !discovery && !hasKeySource(settings) }
    } catch (error) {
      return { settings: header ? { TRUSTED_PROXY_ASSERTION_HEADER: header } : {}, problem: isTrustedProxyAuthError(error) ? (error.detail ?? error.message) : 'the settings could not be proposed', discoveryWithheld: false }
    }
  }

  /**
   * A proposal without a key source gets the key-set URL by OpenID discovery from its issuer (the one in the
   * form, chosen by a browser that gave the code); when discovery fails the proposal stays as it is and the
   * checks report what is missing.
   */
  async function withDiscoveredKeys(proposal: EnrollmentProposal, assertion: string): Promise<EnrollmentProposal> {
    const issuer = proposal.settings['TRUSTED_PROXY_ISSUER']
    const single = Array.isArray(issuer) ? (issuer.length === 1 ? issuer[0] : undefined) : issuer
    if (!(options.discovery ?? true) || hasKeySource(proposal.settings) || typeof single !== 'string' || single === '') return proposal
    try {
      const discovered = await operations.proposeSettings({ assertion, env: { TRUSTED_PROXY_ISSUER: single }, fromAssertion: false, discovery: true, ...(dependencies.fetch ? { fetch: dependencies.fetch } : {}) })
      const url = discovered.settings['TRUSTED_PROXY_JWKS_URL']
      return url === undefined ? proposal : { settings: { ...proposal.settings, TRUSTED_PROXY_JWKS_URL: url } }
    } catch {
      return proposal
    }
  }

  function respond(status: number, body: string, setCookie: string | null, extra: Record<string, string> = {}): EnrollmentPageResponse {
    return {
      status,
      headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', ...(setCookie ? { 'set-cookie': setCookie } : {}), ...extra },
      body,
    }
  }

  async function notEnrolledPage(
    request: EnrollmentPageRequest,
    session: { nonce: string; setCookie: string | null },
    state: { status: number; message?: PageMessage; settings?: Readonly<Record<string, SettingValue>>; checks?: readonly EnrollmentCheckResult[]; allPassed?: boolean },
  ): Promise<EnrollmentPageResponse> {
    let settings = state.settings
    let message = state.message
    if (!settings) {
      const proposed = await propose(request, session.nonce)
      settings = proposed.settings
      if (proposed.problem && !message) message = { kind: 'notice', title: 'No complete proposal', text: `The settings could not be proposed from this assertion (${proposed.problem}); fill them in below.` }
      if (proposed.discoveryWithheld && !message) {
        message = { kind: 'notice', title: 'Key set URL', text: 'Enter the enrollment code and run the checks: the key set URL is then found by OpenID discovery from the issuer (or fill it in).' }
      }
    }
    const body = renderNotEnrolled({
      mountPath,
      csrfToken: await csrf.token(session.nonce),
      message,
      arrived: arrivedAssertions(request.headers),
      assertionHeader: challenge(request, settings).header,
      settings,
      checks: state.checks ?? null,
      allPassed: state.allPassed ?? false,
      codeRemembered: codes.remembered(session.nonce),
      peerAddress: request.peerAddress,
    })
    return respond(state.status, body, session.setCookie)
  }

  /** The enrolled administrator behind the request, or the page that refuses it. */
  async function administrator(request: EnrollmentPageRequest, setCookie: string | null): Promise<TrustedIdentity | EnrollmentPageResponse> {
    let identity: TrustedIdentity | null
    try {
      identity = await verifier.verifyAdministrator({ headers: request.headers, remoteAddress: request.peerAddress })
    } catch (error) {
      const code = isTrustedProxyAuthError(error) ? error.code : 'internal_error'
      return respond(401, renderMessage(mountPath, { kind: 'error', title: 'Sign in through the proxy', text: `This application is enrolled; its status is shown to an enrolled administrator whose request the proxy signed. This request was refused (${code}).` }, false), setCookie)
    }
    const record = verifier.record
    const allowed = verifier.config.allowedUsers
    const isAdministrator =
      identity !== null && record !== null && ((identity.subject === record.enrolledBy.subject && identity.issuer === record.enrolledBy.issuer) || allowed.includes(identity.subject))
    if (!identity || !isAdministrator) {
      return respond(403, renderMessage(mountPath, { kind: 'error', title: 'Administrators only', text: 'This application is enrolled. Its enrollment status is shown only to the administrator who enrolled it (or a user in TRUSTED_PROXY_ALLOWED_USERS).' }, false), setCookie)
    }
    return identity
  }

  async function statusPage(session: { nonce: string; setCookie: string | null }, identity: TrustedIdentity, status: number, extra: { message?: PageMessage; checks?: readonly EnrollmentCheckResult[] } = {}): Promise<EnrollmentPageResponse> {
    const body = renderStatus({
      mountPath,
      csrfToken: await csrf.token(session.nonce),
      message: extra.message,
      record: verifier.record!,
      administrator: identity.subject,
      keyStatus: verifier.status(),
      failures: verifier.recentFailures(),
      checks: extra.checks ?? null,
      now: clock(),
    })
    return respond(status, body, session.setCookie)
  }

  /** Whether the request's Set-Cookie should be Secure: configured, or `auto` (not on a loopback host). */
  function secureCookie(request: EnrollmentPageRequest): boolean {
    const host = headerValues(request.headers, 'host')[0] ?? ''
    return options.secureCookie === undefined || options.secureCookie === 'auto' ? !LOOPBACK_HOST.test(host) : options.secureCookie
  }

  /**
   * The code check of an action while not enrolled: a remembered browser passes; a right code passes and the
   * browser gets a new nonce (returned as `session`), for which the code is remembered, so that a nonce planted
   * in the administrator's browser never becomes one that acts without the code.
   */
  async function codeAccepted(request: EnrollmentPageRequest, session: { nonce: string; setCookie: string | null }): Promise<{ wrong: PageMessage } | { session: { nonce: string; setCookie: string | null } }> {
    if (codes.remembered(session.nonce)) return { session }
    const fresh = csrf.freshSession(secureCookie(request), mountPath)
    const outcome = codes.attempt(session.nonce, fresh.nonce, request.form?.['code'] ?? '')
    if (outcome === 'accepted') return { session: fresh }
    if (outcome === 'rotated') {
      return { wrong: { kind: 'error', title: 'Wrong enrollment code', text: `${WRONG_ATTEMPTS_BEFORE_ROTATION} wrong codes were entered on this page, so that code is void: a new code has been written to the application log.` } }
    }
    if (outcome === 'locked') {
      return { wrong: { kind: 'error', title: 'Wrong enrollment code', text: `${WRONG_ATTEMPTS_PER_SESSION} wrong codes were entered in this browser, so it may not try again: reload the enrollment page to start over, then enter the code from the application log.` } }
    }
    const left = codes.attemptsLeft(session.nonce)
    return { wrong: { kind: 'error', title: 'Wrong enrollment code', text: `The enrollment code does not match the one in the application log (${left} attempt${left === 1 ? '' : 's'} left in this browser).` } }
  }

  async function notEnrolledAction(action: string, request: EnrollmentPageRequest, requestSession: { nonce: string; setCookie: string | null }): Promise<EnrollmentPageResponse> {
    let session = requestSession
    if (action !== 'check' && action !== 'trust') {
      return respond(409, renderMessage(mountPath, { kind: 'error', title: 'Not enrolled', text: 'There is no enrollment to revoke.' }, true), session.setCookie)
    }
    let proposal: EnrollmentProposal = proposalFromForm(request.form ?? {})
    const code = await codeAccepted(request, session)
    if ('wrong' in code) return notEnrolledPage(request, session, { status: 403, message: code.wrong, settings: proposal.settings })
    session = code.session
    const { header, assertion } = challenge(request, proposal.settings)
    if (assertion) proposal = await withDiscoveredKeys(proposal, assertion)
    if (!assertion) {
      const text = `No signed assertion arrived${header ? ` in header ${header}` : ''} with this request. Open this page through the identity-aware proxy.`
      return notEnrolledPage(request, session, { status: 400, message: { kind: 'error', title: 'No assertion to check', text }, settings: proposal.settings })
    }
    const report = await operations.checkEnrollment(proposal, assertion, checkOptions)
    if (!report.ok) {
      const failed = report.checks.filter((check) => check.result === 'fail').length
      const text = action === 'trust' ? 'A check failed when trusting, so nothing was stored.' : `${failed} check${failed === 1 ? '' : 's'} failed. Adjust the settings or the proxy and run the checks again.`
      return notEnrolledPage(request, session, { status: 422, message: { kind: 'error', title: 'Not trusted', text }, settings: proposal.settings, checks: report.checks })
    }
    if (action === 'check') {
      return notEnrolledPage(request, session, { status: 200, message: { kind: 'success', title: 'Every check passed', text: 'Review the checks, then choose “Trust this proxy”.' }, settings: proposal.settings, checks: report.checks, allPassed: true })
    }
    const record = operations.enrollmentRecord(report, proposal, 'page', new Date(clock()))
    await operations.writeEnrollmentRecord(file!, record)
    try {
      verifier.reload()
    } catch (error) {
      await operations.revokeEnrollment(file!)
      const detail = isTrustedProxyAuthError(error) ? (error.detail ?? error.message) : 'the record could not be loaded'
      return notEnrolledPage(request, session, { status: 500, message: { kind: 'error', title: 'Not trusted', text: `The runtime refused the record, so it was removed: ${detail}` }, settings: proposal.settings, checks: report.checks })
    }
    codes.retire()
    safeLog(logger, 'warn', `enrolled through ${mountPath} by ${record.enrolledBy.subject} (${record.enrolledBy.issuer}); protected routes now verify every request`)
    const identity = { subject: record.enrolledBy.subject } as TrustedIdentity
    return statusPage(session, identity, 200, { message: { kind: 'success', title: 'Enrolled', text: 'This proxy is trusted: protected routes now verify every request with these settings.' }, checks: report.checks })
  }

  async function enrolledAction(action: string, request: EnrollmentPageRequest, session: { nonce: string; setCookie: string | null }, identity: TrustedIdentity): Promise<EnrollmentPageResponse> {
    if (action === 'revoke') {
      await operations.revokeEnrollment(file!, { by: identity.subject, ...(dependencies.onEvent ? { onEvent: dependencies.onEvent } : {}) })
      verifier.reload()
      safeLog(logger, 'warn', `enrollment revoked through ${mountPath} by ${identity.subject}`)
      codes.rotate('the enrollment was revoked')
      return respond(200, renderMessage(mountPath, { kind: 'success', title: 'Enrollment revoked', text: 'The record was removed: protected routes answer 503 not_enrolled until the application is enrolled again. A new enrollment code was written to the application log.' }, true), session.setCookie)
    }
    if (action === 'check') {
      const { assertion } = challenge(request, verifier.record!.settings)
      const report = await operations.checkEnrollment({ settings: verifier.record!.settings }, assertion ?? '', checkOptions)
      const message: PageMessage = report.ok ? { kind: 'success', title: 'Every check passed', text: 'The enrolled settings still hold.' } : { kind: 'error', title: 'A check failed', text: 'The enrolled settings no longer hold for this request; see the checks below.' }
      return statusPage(session, identity, 200, { message, checks: report.checks })
    }
    return respond(409, renderMessage(mountPath, { kind: 'error', title: 'Already enrolled', text: 'This application is already enrolled; revoke the enrollment first to enroll again.' }, true), session.setCookie)
  }

  async function handle(request: EnrollmentPageRequest): Promise<EnrollmentPageResponse> {
    const sub = pathOnly(request.path).slice(mountPath.length)
    const method = request.method.toUpperCase()
    if (sub === '/enroll.js' || sub === '/enroll.css') {
      if (method !== 'GET' && method !== 'HEAD') return respond(405, '', null, { allow: 'GET, HEAD' })
      const type = sub.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8'
      return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': type }, body: sub.endsWith('.js') ? PAGE_SCRIPT : PAGE_STYLE }
    }
    const session = csrf.session(request.headers, secureCookie(request), mountPath)
    const action = sub === '' || sub === '/' ? '' : sub.slice(1)
    if (action === '') {
      if (method !== 'GET' && method !== 'HEAD') return respond(405, '', null, { allow: 'GET, HEAD' })
    } else if (!['check', 'trust', 'revoke'].includes(action)) {
      return respond(404, renderMessage(mountPath, { kind: 'error', title: 'Not found', text: 'The enrollment page has no such address.' }, true), session.setCookie)
    } else if (method !== 'POST') {
      return respond(405, '', null, { allow: 'POST' })
    } else {
      const verdict = await csrf.verify(request.headers, request.form)
      if (!verdict.ok) {
        const text = `The action was refused because ${verdict.reason}. Nothing was changed. Reload the enrollment page and try again.`
        return respond(403, renderMessage(mountPath, { kind: 'error', title: 'Request refused', text }, true), session.setCookie)
      }
    }
    if (!verifier.enrolled) {
      // A record written meanwhile by `trusted-proxy-auth enroll` (or another instance) takes effect here.
      try {
        verifier.reload()
      } catch (error) {
        const detail = isTrustedProxyAuthError(error) ? (error.detail ?? error.message) : 'it could not be read'
        return respond(500, renderMessage(mountPath, { kind: 'error', title: 'Invalid enrollment record', text: `The enrollment record exists but is not valid: ${detail}` }, false), session.setCookie)
      }
      if (verifier.enrolled) {
        codes.retire()
        safeLog(logger, 'warn', `enrolled: the enrollment record written outside this page is in force; protected routes now verify every request`)
      }
    }
    if (!verifier.enrolled) {
      // Loading the page again is how a browser locked out by wrong codes starts over (a new session).
      if (action === '') return notEnrolledPage(request, codes.locked(session.nonce) ? csrf.freshSession(secureCookie(request), mountPath) : session, { status: 200 })
      return notEnrolledAction(action, request, session)
    }
    const identity = await administrator(request, session.setCookie)
    if (!('subject' in identity)) return identity
    return action === '' ? statusPage(session, identity, 200) : enrolledAction(action, request, session, identity)
  }

  return { mountPath, verifier, handles, handle, close: () => verifier.close() }
}

/** Whether settings name where the keys come from (a key URL, file or inline set, several issuers, or a preset). */
function hasKeySource(settings: Readonly<Record<string, SettingValue>>): boolean {
  return ['TRUSTED_PROXY_JWKS_URL', 'TRUSTED_PROXY_JWKS_FILE', 'TRUSTED_PROXY_JWKS', 'TRUSTED_PROXY_ISSUERS', 'TRUSTED_PROXY_PRESET'].some((name) => settings[name] !== undefined)
}

function invalidConfig(variable: string, message: string): TrustedProxyAuthError {
  return new TrustedProxyAuthError('invalid_config', { problems: [{ variable, message }] })
}
