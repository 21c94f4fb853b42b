import { isTrustedPeer } from './addresses.js'
import { ownMember } from './claim-value.js'
import { checkClaimTimes, claimCheckFor, passingTimes } from './claims.js'
import { parseCompactJwsText, type ParsedCompactJws } from './compact-jws.js'
import { loadConfig, type EnvInput, type TrustedProxyAuthConfig, type TrustedProxyAuthOptions } from './config.js'
import { quoted, quotedList } from './detail-text.js'
import { TrustedProxyAuthError, type ErrorCode } from './errors.js'
import type { EventListener, TrustedProxyAuthEvent } from './events.js'
import { mapIdentity, type TrustedIdentity } from './identity.js'
import { jwksKeys } from './key-sources/jwks-keys.js'
import type { SignatureKeys, VerifyingKey } from './key-sources/key-source.js'
import { KidTemplateKeyStore, kidTemplateKeys } from './key-sources/kid-template-keys.js'
import { LocalKeyStore } from './key-sources/local-key-store.js'
import { sharedSecretKeys } from './key-sources/shared-secret-keys.js'
import { RemoteKeyStore, realScheduler, type KeyStatus, type Scheduler } from './key-store.js'
import { quirkStagesFor } from './quirks/index.js'
import { checkRequiredHeaders, extractAssertion, type HeadersInput } from './request-headers.js'
import { verificationFinished, verificationFinishedSoon, verificationStarted } from './signature-load.js'
import { checkUserPolicy } from './user-policy.js'
import { VerifiedAssertionCache, type CacheCounts } from './verified-assertion-cache.js'
import { eventLogger } from './event-log.js'
import { effectiveLogLevel, levelFilteredLogger, logsAt, safeLog, type Logger, type LogLevel } from './logger.js'
import { configurationSummary, riskySettings } from './startup-report.js'

export interface VerifyOptions {
  /** Current time in seconds since the epoch (default: the system clock). */
  now?: number
}

export interface RequestLike {
  headers: HeadersInput
  /** The socket peer address, never a forwarded one. */
  remoteAddress?: string | null | undefined
}

export interface VerifierDependencies {
  fetch?: typeof fetch
  onEvent?: EventListener
  /** Milliseconds since the epoch, for the key cache (tests inject fake clocks). */
  clock?: () => number
  random?: () => number
  /** Where background key refreshes run (tests drive a manual clock through it). */
  scheduler?: Scheduler
  /**
   * Receives the start-up line, warnings for risky settings, key-load outcomes and (at debug) each rejection
   * with its detail. Default: stderr through `console`, warnings and errors only unless TRUSTED_PROXY_LOG_THRESHOLD
   * is set or `DEBUG` names `trusted-proxy-auth`. A logger given here gets every line from debug up (it
   * filters itself) unless TRUSTED_PROXY_LOG_THRESHOLD is set.
   */
  logger?: Logger
}

export interface Verifier {
  readonly config: TrustedProxyAuthConfig
  /** Verifies one assertion string: the identity, or a TrustedProxyAuthError. */
  verifyAssertion(token: string, options?: VerifyOptions): Promise<TrustedIdentity>
  /** Applies every request rule, then verifies; null only in mode `optional` without an assertion. */
  verifyRequest(request: RequestLike, options?: VerifyOptions): Promise<TrustedIdentity | null>
  /**
   * verifyRequest without waiting where nothing needs waiting for: the same rules, verdict and events, but an
   * acceptance decided at once (a verified-assertion cache hit, or keys already in memory) is returned as the
   * identity (or null) itself, sparing the promise and the hop through the microtask queue that a request
   * handler pays per request. Anything that waits (a key load), and every rejection, comes as a promise;
   * it never throws. Optional, so that verifiers written elsewhere still fit: call it through
   * `verifyRequestNow(verifier, request)`, which falls back to verifyRequest.
   */
  verifyRequestNow?(request: RequestLike, options?: VerifyOptions): TrustedIdentity | null | Promise<TrustedIdentity | null>
  /**
   * Resolves once a usable key set is loaded (at once when keys are fetched per kid or there is no key
   * set). Rejects with `jwks_unavailable` (its `detail` names the cause) as soon as the key load it waits
   * for fails, or when `timeout` seconds pass first (default: TRUSTED_PROXY_JWKS_TIMEOUT).
   */
  ready(options?: { timeout?: number }): Promise<void>
  status(): KeyStatus
  /** Entries, hits and misses of the verified-assertion cache (all 0 when TRUSTED_PROXY_CACHE_SIZE is 0). */
  cacheCounts(): CacheCounts
  /** Stops background key refreshes. */
  close(): void
}

const encoder = new TextEncoder()
/** Peer addresses whose trust verdict a verifier remembers (forgotten all at once when full). */
const MAX_REMEMBERED_PEERS = 1024

interface Verified {
  readonly identity: TrustedIdentity
  /** Whether a remembered verification answered. */
  readonly cached: boolean
}

/** The keys the configuration names: a key set (configured or discovered), one key per kid, or a shared secret. */
function signatureKeysFor(config: TrustedProxyAuthConfig, dependencies: VerifierDependencies, emit: EventListener, kidlessTriesEveryKey: boolean): SignatureKeys {
  const source = config.keySource
  const fetchKeys = dependencies.fetch ?? globalThis.fetch.bind(globalThis)
  const clock = dependencies.clock ?? Date.now
  const timing = {
    timeoutMs: config.jwksTimeout * 1000,
    cacheTtlMs: config.jwksCacheTtl * 1000,
    cooldownMs: config.jwksCooldown * 1000,
    maxStaleMs: config.jwksMaxStale * 1000,
  }
  switch (source.kind) {
    case 'sharedSecret':
      if (config.sharedSecret === null) throw new TypeError('the shared-secret key source needs config.sharedSecret')
      return sharedSecretKeys(config.sharedSecret)
    case 'jwksFile':
    case 'inlineJwks': {
      const local = source.kind === 'jwksFile' ? { path: source.path } : { members: source.keys }
      return jwksKeys(new LocalKeyStore({ ...local, onEvent: emit, clock }), { kidlessTriesEveryKey })
    }
    case 'kidTemplate':
      return kidTemplateKeys(new KidTemplateKeyStore({ template: source.template, ...timing, fetch: fetchKeys, onEvent: emit, clock }))
    case 'jwks':
    case 'discovery': {
      const store = new RemoteKeyStore({
        url: source.kind === 'jwks' ? source.url : source.discoveryUrl,
        ...(source.kind === 'discovery' ? { discoveryIssuer: source.issuer } : {}),
        ...timing,
        fetch: fetchKeys,
        onEvent: emit,
        clock,
        random: dependencies.random ?? Math.random,
        scheduler: dependencies.scheduler ?? realScheduler,
      })
      return jwksKeys(store, { kidlessTriesEveryKey })
    }
  }
}

const kidText = (kid: string | undefined): string => (kid === undefined ? 'an assertion without kid' : `kid ${quoted(kid)}`)
const noKeyDetail = (kid: string | undefined, alg: string): string => `no usable key for ${kidText(kid)} and alg ${quoted(alg)}`

/**
 * The key sources say only `unknown_key` or `invalid_signature`; the verifier knows the kid and alg, which
 * are all the detail names (contract/errors.json). A detail the key source gave (a key-fetch cause) is kept.
 */
function withKeyDetail(error: unknown, kid: string | undefined, alg: string): unknown {
  if (!(error instanceof TrustedProxyAuthError) || error.detail !== undefined) return error
  if (error.code === 'unknown_key') return new TrustedProxyAuthError('unknown_key', { detail: noKeyDetail(kid, alg), cause: error.cause })
  if (error.code === 'invalid_signature') {
    const key = kid === undefined ? 'without kid' : `with kid ${quoted(kid)}`
    return new TrustedProxyAuthError('invalid_signature', { detail: `signature does not verify ${key} and alg ${quoted(alg)}`, cause: error.cause })
  }
  return error
}

/**
 * The configuration each issuer entry verifies under: the entry's issuer, keys, audience, algorithms and clock
 * tolerance over the shared settings; with one key source, the configuration itself.
 */
function issuerUnits(config: TrustedProxyAuthConfig): TrustedProxyAuthConfig[] {
  if (config.issuers.length === 0) return [config]
  return config.issuers.map((entry) =>
    Object.freeze({ ...config, issuer: [entry.issuer], keySource: entry.keySource, audience: entry.audience, algorithms: entry.algorithms, clockTolerance: entry.clockTolerance, issuers: [] }),
  )
}

const STATE_RANK: Record<KeyStatus['state'], number> = { ready: 0, stale: 1, loading: 2, unavailable: 3 }

/** Several issuers' key states as one: the worst state, summed counts, the first error. */
function combinedStatus(all: KeyStatus[]): KeyStatus {
  if (all.length === 1) return all[0]!
  const defined = (values: Array<number | null>): number[] => values.filter((value): value is number => value !== null)
  const latest = (values: Array<number | null>): number | null => (defined(values).length === 0 ? null : Math.max(...defined(values)))
  const earliest = (values: Array<number | null>): number | null => (defined(values).length === 0 ? null : Math.min(...defined(values)))
  return {
    state: all.reduce((worst, status) => (STATE_RANK[status.state] > STATE_RANK[worst] ? status.state : worst), 'ready' as KeyStatus['state']),
    keyCount: all.reduce((sum, status) => sum + status.keyCount, 0),
    lastFetchAt: latest(all.map((status) => status.lastFetchAt)),
    lastSuccessAt: earliest(all.map((status) => status.lastSuccessAt)),
    lastError: all.find((status) => status.lastError !== null)?.lastError ?? null,
    nextRetryAt: earliest(all.map((status) => status.nextRetryAt)),
    fetchCount: all.reduce((sum, status) => sum + status.fetchCount, 0),
  }
}

/** The logger a verifier writes to: the one given (filtered only by an explicit level), or stderr. */
function loggerFor(config: TrustedProxyAuthConfig, given: Logger | undefined): { logger: Logger; level: LogLevel } {
  if (given) {
    const level = config.logThreshold ?? 'debug'
    return { logger: levelFilteredLogger(level, given, ''), level }
  }
  const level = effectiveLogLevel(config, globalThis.process?.env?.['DEBUG'])
  return { logger: levelFilteredLogger(level), level }
}

export function createVerifier(config: TrustedProxyAuthConfig, dependencies: VerifierDependencies = {}): Verifier {
  const listener = dependencies.onEvent
  const { logger, level } = loggerFor(config, dependencies.logger)
  const logEvent = eventLogger(logger, level)
  // verify_ok happens on every request: its event is built only when a listener or a debug log line takes it.
  const verifyOkObserved = listener !== undefined || logsAt(level, 'debug')
  const emit = (event: TrustedProxyAuthEvent): void => {
    logEvent(event)
    if (!listener) return
    try {
      listener(event)
    } catch {
      // A failing log or metrics hook must never decide whether a request is authenticated.
    }
  }
  safeLog(logger, 'info', configurationSummary(config))
  for (const warning of riskySettings(config)) safeLog(logger, 'warn', warning)
  // The preset's quirks plugged into the stages; the stages below never ask which proxy they serve.
  const stages = quirkStagesFor(config)
  const units = issuerUnits(config).map((unitConfig) => ({
    config: unitConfig,
    keys: signatureKeysFor(unitConfig, dependencies, emit, stages.kidlessTriesEveryKey),
    checkClaims: claimCheckFor(unitConfig, stages),
  }))
  for (const unit of units) unit.keys.start()
  const unitByIssuer = new Map(config.issuers.map((entry, index) => [entry.issuer, index]))
  const allIssuers = config.issuers.map((entry) => entry.issuer)

  /**
   * TRUSTED_PROXY_ISSUERS: the entry named by the payload's `iss`, chosen after the syntax checks and before
   * anything else (contract/checks.json stage issuer_selection), so only that issuer's keys are ever looked
   * up. With one key source there is one entry, and `iss` is checked with the other claims.
   */
  function selectUnit(payload: Record<string, unknown>): number {
    if (config.issuers.length === 0) return 0
    const iss = Object.hasOwn(payload, 'iss') ? payload['iss'] : undefined
    if (iss === undefined) throw fail('issuer_mismatch', 'claim "iss" is absent')
    if (typeof iss !== 'string') throw fail('issuer_mismatch', 'claim "iss" is not a string')
    const index = unitByIssuer.get(iss)
    if (index === undefined) throw fail('issuer_mismatch', `iss ${quoted(iss)} is not one of ${quotedList(allIssuers)}`)
    return index
  }

  const fail = (code: ErrorCode, detail: string): TrustedProxyAuthError => new TrustedProxyAuthError(code, { detail })
  const missingAssertion = (): TrustedProxyAuthError => fail('missing_assertion', `header ${quoted(config.assertionHeader)} is absent or empty`)

  const cache = config.cacheSize > 0 ? new VerifiedAssertionCache(config.cacheSize) : null

  // A proxy connects from few addresses: each peer text is parsed and matched once, not on every request.
  const peerVerdicts = new Map<string, boolean>()
  const trustedPeer = (remoteAddress: string | null | undefined): boolean => {
    if (!remoteAddress) return false
    let trusted = peerVerdicts.get(remoteAddress)
    if (trusted === undefined) {
      trusted = isTrustedPeer(remoteAddress, config.trustedAddresses)
      if (peerVerdicts.size >= MAX_REMEMBERED_PEERS) peerVerdicts.clear()
      peerVerdicts.set(remoteAddress, trusted)
    }
    return trusted
  }

  /**
   * A remembered verification of exactly this assertion, if it may still be used: within the cache's
   * maximum age, its key still in the fresh key set, and exp/nbf/iat/max age passing against `now`
   * (a time failure is thrown like a full verification would, and the entry is dropped).
   */
  function fromCache(token: string, now: number): TrustedIdentity | null {
    if (!cache) return null
    const entry = cache.lookup(token)
    if (!entry) return null
    const unit = units[entry.issuerEntry]
    if (unit === undefined || now >= entry.reusableUntil || !unit.keys.isCurrent(entry.key)) {
      cache.forget(token)
      return null
    }
    // Inside the window checkClaimTimes is known to pass (passingTimes); at its edges and beyond it decides.
    if (now >= entry.timesPassFrom && now <= entry.timesPassUntil) return entry.identity
    try {
      checkClaimTimes(entry.identity.claims as Record<string, unknown>, entry.identity.expiresAt, unit.config, now)
    } catch (error) {
      cache.forget(token)
      throw error
    }
    return entry.identity
  }

  /**
   * The verification of `token`: answered at once (a cache hit, or keys ready in memory: no promise hop
   * between the stages) or, when keys must be loaded or many verifications are in flight, as a promise.
   */
  function verify(token: string, now: number): Verified | Promise<Verified> {
    const cached = fromCache(token, now)
    if (cached) {
      cache?.hit()
      return { identity: cached, cached: true }
    }
    cache?.miss()
    verificationStarted()
    let answer: TrustedIdentity | Promise<TrustedIdentity>
    try {
      answer = verifyInFull(token, now)
    } catch (error) {
      verificationFinishedSoon()
      throw error
    }
    if (!(answer instanceof Promise)) {
      verificationFinishedSoon()
      return { identity: answer, cached: false }
    }
    return answer.then(
      (identity) => {
        verificationFinished()
        return { identity, cached: false }
      },
      (error: unknown) => {
        verificationFinished()
        throw error
      },
    )
  }

  // The header policy's verdict on the protected header that last passed it, and under which issuer entry. A parsed
  // header is one frozen object per distinct segment text (compact-jws.ts), shared by every assertion that carries
  // it, so the same object under the same entry passes with the same alg and kid: its members are not read again.
  let passedHeader: Readonly<Record<string, unknown>> | null = null
  let passedHeaderEntry = -1
  let passedAlg = ''
  let passedKid: string | undefined

  /** Stages assertion_size, syntax and header_policy; the parsed assertion with its alg and kid. */
  function parseAssertion(token: string): { jws: ParsedCompactJws; alg: string; kid: string | undefined; issuerEntry: number } {
    if (token === '') throw missingAssertion()
    // A UTF-16 code unit is at most 3 UTF-8 bytes: only a long token needs encoding to be measured.
    if (token.length > config.maxAssertionBytes || (token.length * 3 > config.maxAssertionBytes && encoder.encode(token).length > config.maxAssertionBytes)) {
      throw fail('assertion_too_large', `longer than ${config.maxAssertionBytes} bytes`)
    }
    const jws = parseCompactJwsText(token, stages.segment)
    if (!jws) throw fail('malformed_assertion', 'not a compact JWS (three base64url segments with a JSON object header and payload)')
    const { protectedHeader: header, payload } = jws
    const issuerEntry = selectUnit(payload)
    if (header === passedHeader && issuerEntry === passedHeaderEntry) return { jws, alg: passedAlg, kid: passedKid, issuerEntry }
    const { config: unitConfig } = units[issuerEntry]!

    // Own members only, as for claims (ownMember): nothing Object.prototype was given passes for alg or kid.
    const alg = ownMember(header, 'alg', header['alg'])
    if (typeof alg !== 'string') throw fail('malformed_assertion', 'header member "alg" is missing')
    if (!unitConfig.algorithms.includes(alg)) throw fail('unsupported_algorithm', `alg ${quoted(alg)} is not one of ${quotedList(unitConfig.algorithms)}`)
    if (Object.hasOwn(header, 'b64') || Object.hasOwn(header, 'crit')) throw fail('malformed_assertion', 'header member "b64" or "crit" is present')
    const kid = ownMember(header, 'kid', header['kid'])
    if (kid !== undefined && typeof kid !== 'string') throw fail('malformed_assertion', 'header member "kid" is not a string')

    // Stage key_lookup starts here: a kid a quirk refuses (one that would go into a key URL) fails before any lookup.
    if (stages.kidAccepted !== null && !stages.kidAccepted(kid)) throw fail('unknown_key', noKeyDetail(kid, alg))
    passedHeader = header
    passedHeaderEntry = issuerEntry
    passedAlg = alg
    passedKid = kid
    return { jws, alg, kid, issuerEntry }
  }

  /** Every stage after the signature (claims, identity, user policy); remembers the success. */
  function afterSignature(token: string, jws: ParsedCompactJws, verifyingKey: VerifyingKey, issuerEntry: number, now: number): TrustedIdentity {
    const { protectedHeader: header, payload } = jws
    const unit = units[issuerEntry]!
    const unitConfig = unit.config
    const checked = unit.checkClaims(header, payload, now)
    const identity = mapIdentity(payload, checked, stages.emailVerified)
    checkUserPolicy(identity, unitConfig)
    // Only a full success is remembered, until exp (+ tolerance) or the cache's maximum age, whichever is first.
    if (cache?.admits(token)) {
      const [timesPassFrom, timesPassUntil] = passingTimes(payload, checked.expiresAt, unitConfig)
      const reusableUntil = Math.min(checked.expiresAt + unitConfig.clockTolerance, now + config.cacheMaxAge)
      cache.store(token, { identity, key: verifyingKey, reusableUntil, issuerEntry, timesPassFrom, timesPassUntil })
    }
    return identity
  }

  function verifyInFull(token: string, now: number): TrustedIdentity | Promise<TrustedIdentity> {
    const { jws, alg, kid, issuerEntry } = parseAssertion(token)
    const { keys } = units[issuerEntry]!
    let verifyingKey: VerifyingKey | null | undefined
    try {
      verifyingKey = keys.verifyNow?.(jws, alg, kid)
    } catch (error) {
      throw withKeyDetail(error, kid, alg)
    }
    if (verifyingKey) return afterSignature(token, jws, verifyingKey, issuerEntry, now)
    return keys.verify(jws, alg, kid).then(
      (key) => afterSignature(token, jws, key, issuerEntry, now),
      (error: unknown) => {
        throw withKeyDetail(error, kid, alg)
      },
    )
  }

  function verifiedOk(verified: Verified | null): TrustedIdentity | null {
    if (!verified) return null
    const { identity } = verified
    if (verifyOkObserved) emit({ type: 'verify_ok', subject: identity.subject, issuer: identity.issuer, cached: verified.cached })
    return identity
  }

  function reportFailure(error: unknown): void {
    if (error instanceof TrustedProxyAuthError) emit({ type: 'verify_failed', code: error.code, ...(error.detail === undefined ? {} : { detail: error.detail }) })
  }

  function verifyFailed(error: unknown): never {
    reportFailure(error)
    throw error
  }

  /**
   * Verifies `request` and emits verify_ok or verify_failed: an acceptance decided at once is returned as it is,
   * anything else (waiting, or any rejection) as a promise. Never throws. Takes the request itself, not a closure
   * over it: nothing is allocated for a cache hit but its answer.
   */
  function observeRequest(request: RequestLike, options: VerifyOptions | undefined): TrustedIdentity | null | Promise<TrustedIdentity | null> {
    let answer: Verified | null | Promise<Verified | null>
    try {
      answer = requestVerification(request, options)
    } catch (error) {
      reportFailure(error)
      return Promise.reject(error)
    }
    if (answer instanceof Promise) return answer.then(verifiedOk, verifyFailed)
    return verifiedOk(answer)
  }

  const currentTime = (options?: VerifyOptions): number => options?.now ?? Date.now() / 1000

  /** Stages peer_address, required_headers and header_extraction, then the assertion's verification. */
  function requestVerification(request: RequestLike, options: VerifyOptions | undefined): Verified | null | Promise<Verified | null> {
    if (config.trustedAddresses.length > 0 && !trustedPeer(request.remoteAddress)) {
      const peer = request.remoteAddress ? `peer ${quoted(request.remoteAddress)} is not` : 'the peer address is unknown, so not'
      throw fail('untrusted_source', `${peer} in TRUSTED_PROXY_TRUSTED_ADDRESSES`)
    }
    checkRequiredHeaders(request.headers, config.requiredHeaders)
    const token = extractAssertion(request.headers, config.assertionHeader)
    if (token === null) {
      if (config.mode === 'optional') return null
      throw missingAssertion()
    }
    return verify(token, currentTime(options))
  }

  return {
    config,
    // observeRequest's handling for a bare assertion: the same verdict and events.
    verifyAssertion: (token, options) => {
      let answer: Verified | Promise<Verified>
      try {
        answer = verify(token, currentTime(options))
      } catch (error) {
        reportFailure(error)
        return Promise.reject(error)
      }
      if (answer instanceof Promise) return answer.then(verifiedOk, verifyFailed) as Promise<TrustedIdentity>
      return Promise.resolve(verifiedOk(answer) as TrustedIdentity)
    },
    verifyRequest: (request, options) => {
      // observeRequest, always as a promise: the very same verdict and events.
      const answer = observeRequest(request, options)
      return answer instanceof Promise ? answer : Promise.resolve(answer)
    },
    verifyRequestNow: observeRequest,
    ready: async (options) => {
      await Promise.all(units.map((unit) => unit.keys.ready((options?.timeout ?? config.jwksTimeout) * 1000)))
    },
    status: () => combinedStatus(units.map((unit) => unit.keys.status())),
    cacheCounts: () => cache?.counts() ?? { size: 0, hits: 0, misses: 0 },
    close: () => units.forEach((unit) => unit.keys.close()),
  }
}

/** `createVerifier(loadConfig(env, overrides))`: the zero-code path every adapter uses. */
export function createVerifierFromEnv(
  overrides: TrustedProxyAuthOptions = {},
  env: EnvInput = globalThis.process?.env ?? {},
  dependencies: VerifierDependencies = {},
): Verifier {
  return createVerifier(loadConfig(env, overrides), dependencies)
}
