import { loadConfigWithEnrollment, type EnvInput, type TrustedProxyAuthConfig, type TrustedProxyAuthOptions } from '../config.js'
import { TrustedProxyAuthError, type ConfigProblem } from '../errors.js'
import { ENROLLMENT_CONTRACT } from '../generated/contract.js'
import { decodeAssertion, LARGEST_ASSERTION_BYTES } from './decoded-assertion.js'
import type { TrustedIdentity } from '../identity.js'
import type { Logger } from '../logger.js'
import { loggableUrl } from '../startup-report.js'
import { keyUrlProblem } from '../url-rules.js'
import { createVerifier } from '../verifier.js'
import type { EnrollmentCheckId, EnrollmentCheckResult, EnrollmentProposal, EnrollmentReport } from './enrollment-types.js'
import { probeKeySet, replayingFetch, type KeySetProbe } from './key-set-probe.js'
import { recordSchemaProblems } from './record-schema.js'

export interface CheckEnrollmentOptions {
  /**
   * Other settings the runtime will have (environment variables; they win over the proposal, as over a record).
   * Default: none, so the proposal alone is checked. TRUSTED_PROXY_ENROLLMENT_FILE in it is ignored.
   */
  env?: EnvInput
  /** Milliseconds since the epoch (default Date.now): the time the assertion is checked at. */
  now?: () => number
  /** For the key fetch (default globalThis.fetch). */
  fetch?: typeof fetch
}

/** JOSE header members that carry or point at keys (RFC 8725 section 3.10): an enrollment must never trust them. */
const EMBEDDED_KEY_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c'] as const

/** How configuration_valid's detail starts when the configuration loads but the runtime would refuse the administrator's own assertion. */
export const REFUSES_ADMINISTRATOR = 'the runtime would refuse the challenge assertion'

const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

/** The checks of contract/enrollment.json in order, each `not_run` until decided. */
class CheckList {
  private readonly results = new Map<EnrollmentCheckId, EnrollmentCheckResult>()

  constructor() {
    for (const check of ENROLLMENT_CONTRACT.checks) this.results.set(check.id, { id: check.id, title: check.title, result: 'not_run' })
  }

  set(id: EnrollmentCheckId, result: 'pass' | 'fail' | 'not_run', detail?: string): void {
    const entry = this.results.get(id)!
    entry.result = result
    if (detail === undefined || detail === '') delete entry.detail
    else entry.detail = detail
  }

  passUnlessDecided(id: EnrollmentCheckId): void {
    if (this.results.get(id)!.result === 'not_run') this.set(id, 'pass')
  }

  failed(id: EnrollmentCheckId): boolean {
    return this.results.get(id)!.result === 'fail'
  }

  list(): EnrollmentCheckResult[] {
    return [...this.results.values()].map((entry) => ({ ...entry }))
  }
}

/** The proposal's own problems: the record schema's rules for `settings` (types, forbidden settings). */
function proposalProblems(proposal: EnrollmentProposal): ConfigProblem[] {
  const probe = {
    format: ENROLLMENT_CONTRACT.format,
    settings: proposal.settings,
    enrolledAt: '1970-01-01T00:00:00Z',
    enrolledBy: { subject: '-', issuer: '-', method: 'cli' },
    keySetUrl: null,
    keys: [],
    checks: [],
  }
  return recordSchemaProblems(probe).map((problem) => ({ variable: 'settings', message: problem.message.replace('enrollment record schema at /settings', 'enrollment record schema at settings') }))
}

function withoutEnrollmentFile(env: EnvInput): EnvInput {
  const { TRUSTED_PROXY_ENROLLMENT_FILE: _ignored, ...rest } = env
  return rest
}

function problemText(error: unknown): string {
  if (error instanceof TrustedProxyAuthError) return error.detail ?? error.message
  return 'the configuration cannot be loaded'
}

/** Where keys would be fetched from, for check key_url_secure (shown without user information, query or fragment). */
function keyUrlCheck(config: TrustedProxyAuthConfig): { problem: string | null; detail: string } {
  const source = config.keySource
  switch (source.kind) {
    case 'jwks':
      return { problem: keyUrlProblem(source.url), detail: loggableUrl(source.url) }
    case 'discovery':
      return { problem: keyUrlProblem(source.discoveryUrl), detail: `${loggableUrl(source.discoveryUrl)} (OpenID discovery)` }
    case 'kidTemplate':
      return { problem: keyUrlProblem(source.template.replace('{kid}', 'kid')), detail: `${loggableUrl(source.template)} (one key per kid)` }
    case 'sharedSecret':
      return { problem: null, detail: 'no key set: the key is TRUSTED_PROXY_SHARED_SECRET' }
  }
}

/** A moment at which the assertion's time claims hold, to look past a freshness failure at issuer and audience. */
function momentWithinValidity(claims: Record<string, unknown>): number | null {
  const number = (name: string): number | null => (typeof claims[name] === 'number' && Number.isFinite(claims[name]) ? (claims[name] as number) : null)
  const iat = number('iat')
  const nbf = number('nbf')
  const exp = number('exp')
  const candidate = Math.max(iat ?? Number.NEGATIVE_INFINITY, nbf ?? Number.NEGATIVE_INFINITY)
  if (Number.isFinite(candidate)) return exp !== null && candidate >= exp ? null : candidate
  return exp === null ? null : exp - 1
}

interface VerifierRun {
  config: TrustedProxyAuthConfig
  load: (overrides: TrustedProxyAuthOptions) => TrustedProxyAuthConfig
  fetch: typeof fetch
  clock: () => number
}

/**
 * Runs the real verifier on the assertion and turns its answer into the checks assertion_signature, issuer,
 * audience and fresh (and configuration_valid when the runtime would refuse the administrator for another
 * reason). The verifier stops at the first failing stage; a failing issuer, audience or time is then set aside
 * (the verifier runs again with that one rule satisfied) so that every later check still reports.
 */
async function verifierChecks(checks: CheckList, run: VerifierRun, assertion: string, claims: Record<string, unknown> | null): Promise<TrustedIdentity | null> {
  const overrides: TrustedProxyAuthOptions = {}
  let nowSeconds = run.clock() / 1000
  for (let attempt = 0; attempt < 4; attempt++) {
    const verifier = createVerifier(attempt === 0 ? run.config : run.load(overrides), { fetch: run.fetch, clock: run.clock, logger: silentLogger })
    try {
      const identity = await verifier.verifyAssertion(assertion, { now: nowSeconds })
      for (const id of ['assertion_signature', 'issuer', 'audience', 'fresh'] as const) checks.passUnlessDecided(id)
      // Only a verification with the proposed configuration itself names the administrator.
      return attempt === 0 ? identity : null
    } catch (error) {
      if (!(error instanceof TrustedProxyAuthError)) throw error
      const detail = error.detail ?? (error.code === 'jwks_unavailable' ? (verifier.status().lastError ?? undefined) : undefined)
      const described = `${error.code}${detail === undefined ? '' : `: ${detail}`}`
      switch (error.code) {
        case 'issuer_mismatch':
          checks.passUnlessDecided('assertion_signature')
          checks.passUnlessDecided('fresh')
          checks.set('issuer', 'fail', described)
          if (typeof claims?.['iss'] !== 'string') return null
          overrides.issuer = claims['iss']
          continue
        case 'audience_mismatch': {
          for (const id of ['assertion_signature', 'fresh', 'issuer'] as const) checks.passUnlessDecided(id)
          checks.set('audience', 'fail', described)
          const aud = claims?.['aud']
          if (!(typeof aud === 'string' || (Array.isArray(aud) && aud.length > 0 && aud.every((item) => typeof item === 'string')))) return null
          overrides.audience = aud as string | string[]
          continue
        }
        case 'expired':
        case 'not_yet_valid': {
          checks.passUnlessDecided('assertion_signature')
          checks.set('fresh', 'fail', described)
          const moment = claims === null ? null : momentWithinValidity(claims)
          if (moment === null || moment === nowSeconds) return null
          nowSeconds = moment
          continue
        }
        case 'missing_claim': {
          checks.passUnlessDecided('assertion_signature')
          const target = detail?.startsWith('claim "iss"') ? 'issuer' : detail?.startsWith('claim "aud"') ? 'audience' : /^claim "(exp|iat)"/.test(detail ?? '') ? 'fresh' : 'configuration_valid'
          checks.set(target, 'fail', target === 'configuration_valid' ? `${REFUSES_ADMINISTRATOR}: ${described}` : described)
          return null
        }
        case 'claim_mismatch':
        case 'forbidden_user':
          for (const id of ['assertion_signature', 'issuer', 'audience', 'fresh'] as const) checks.passUnlessDecided(id)
          checks.set('configuration_valid', 'fail', `${REFUSES_ADMINISTRATOR}: ${described}`)
          return null
        case 'jwks_unavailable':
          if (!checks.failed('keys_reachable')) checks.set('keys_reachable', 'fail', detail)
          checks.set('assertion_signature', 'fail', described)
          return null
        default:
          // malformed_assertion, assertion_too_large, unsupported_algorithm, unknown_key, invalid_signature.
          checks.set('assertion_signature', 'fail', described)
          return null
      }
    } finally {
      verifier.close()
    }
  }
  return null
}

/**
 * Runs every check of contract/enrollment.json, in order, on a proposal and a challenge assertion that came
 * through the proxy. The key set is fetched once (the verifier's fetch: timeout, byte caps, no redirects) and
 * judged by the verifier's key usability rules; the assertion is then verified by the real verifier with the
 * proposed configuration against exactly the keys fetched. Keys carried in the token (`jwk`, `jku`, `x5u`,
 * `x5c`) are refused. Never throws for a failing check (see `ok`); the report never holds the assertion or key
 * material, only decoded claims for display and RFC 7638 thumbprints.
 */
export async function checkEnrollment(proposal: EnrollmentProposal, assertion: string, options: CheckEnrollmentOptions = {}): Promise<EnrollmentReport> {
  const clock = options.now ?? Date.now
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  const env = withoutEnrollmentFile(options.env ?? {})
  const checks = new CheckList()
  const read = decodeAssertion(assertion.trim())
  const decoded = 'decoded' in read ? read.decoded : null
  const report = (extra: Partial<EnrollmentReport>): EnrollmentReport => {
    const list = checks.list()
    return { ok: list.every((check) => check.result === 'pass'), checks: list, decoded, keySetUrl: null, keys: [], subject: null, issuer: null, ...extra }
  }

  // no_embedded_keys needs only the header.
  if (decoded) {
    const carried = EMBEDDED_KEY_MEMBERS.filter((member) => member in decoded.header)
    checks.set('no_embedded_keys', carried.length === 0 ? 'pass' : 'fail', carried.length === 0 ? undefined : `header carries ${carried.map((m) => `"${m}"`).join(', ')}`)
  } else {
    checks.set('no_embedded_keys', 'not_run', 'problem' in read && read.problem === 'too_large' ? `the assertion is longer than ${LARGEST_ASSERTION_BYTES} bytes` : 'the assertion is not a compact JWS')
  }

  const load = (overrides: TrustedProxyAuthOptions): TrustedProxyAuthConfig => loadConfigWithEnrollment(env, overrides, { discovery: 'off' }, proposal.settings)
  const ownProblems = proposalProblems(proposal)
  let config: TrustedProxyAuthConfig
  try {
    if (ownProblems.length > 0) throw new TrustedProxyAuthError('invalid_config', { problems: ownProblems })
    config = load({})
  } catch (error) {
    checks.set('configuration_valid', 'fail', problemText(error))
    const jwksUrl = proposal.settings['TRUSTED_PROXY_JWKS_URL']
    if (typeof jwksUrl === 'string') {
      const problem = keyUrlProblem(jwksUrl.trim())
      // No URL in the detail: a refused configuration may hold a misplaced secret anywhere.
      checks.set('key_url_secure', problem === null ? 'pass' : 'fail', problem === null ? undefined : `TRUSTED_PROXY_JWKS_URL ${problem}`)
    }
    return report({})
  }
  checks.set('configuration_valid', 'pass')

  const keyUrl = keyUrlCheck(config)
  checks.set('key_url_secure', keyUrl.problem === null ? 'pass' : 'fail', keyUrl.problem === null ? keyUrl.detail : keyUrl.problem)
  if (keyUrl.problem !== null) return report({})

  let probe: KeySetProbe | null = null
  let verifierFetch = fetchImpl
  if (config.keySource.kind === 'jwks' || config.keySource.kind === 'discovery') {
    probe = await probeKeySet(config, fetchImpl)
    if (!probe.reachable) {
      checks.set('keys_reachable', 'fail', probe.cause)
      return report({ keySetUrl: probe.keySetUrl })
    }
    checks.set('keys_reachable', 'pass', loggableUrl(probe.keySetUrl))
    checks.set('keys_usable', probe.unusable === null ? 'pass' : 'fail', probe.unusable ?? probe.usableDetail)
    if (probe.unusable !== null) return report({ keySetUrl: probe.keySetUrl, keys: probe.keys })
    verifierFetch = replayingFetch(probe.documents, fetchImpl)
  }

  const identity = await verifierChecks(checks, { config, load, fetch: verifierFetch, clock }, assertion.trim(), decoded?.claims ?? null)
  if (config.keySource.kind === 'kidTemplate' || config.keySource.kind === 'sharedSecret') {
    // Keys are read per kid (or configured): the verifier's own load is the reachability and usability check.
    const signatureFailed = checks.failed('assertion_signature')
    const unknownKey = signatureFailed && /^unknown_key/.test(checks.list().find((check) => check.id === 'assertion_signature')?.detail ?? '')
    if (!checks.failed('keys_reachable')) checks.set('keys_reachable', 'pass', keyUrl.detail)
    checks.set('keys_usable', unknownKey ? 'fail' : checks.failed('keys_reachable') ? 'not_run' : 'pass', unknownKey ? 'no usable key for the assertion' : undefined)
  }
  return report({
    keySetUrl: probe?.reachable ? probe.keySetUrl : null,
    keys: probe?.reachable ? probe.keys : [],
    subject: identity?.subject ?? null,
    issuer: identity?.issuer ?? null,
  })
}
