import { isTrustedPeer } from './addresses.js'
import { checkClaims, checkUserPolicy } from './claims.js'
import { parseCompactJws } from './compact-jws.js'
import { loadConfig, type EnvInput, type TrustedProxyAuthConfig, type TrustedProxyAuthOptions } from './config.js'
import { TrustedProxyAuthError } from './errors.js'
import type { EventListener, TrustedProxyAuthEvent } from './events.js'
import { mapIdentity, type TrustedIdentity } from './identity.js'
import { jwksKeys } from './key-sources/jwks-keys.js'
import type { SignatureKeys } from './key-sources/key-source.js'
import { KidTemplateKeyStore, kidTemplateKeys } from './key-sources/kid-template-keys.js'
import { sharedSecretKeys } from './key-sources/shared-secret-keys.js'
import { RemoteKeyStore, realScheduler, type KeyStatus, type Scheduler } from './key-store.js'
import { activeQuirks } from './quirks/active-quirks.js'
import { isUuidKid } from './quirks/kid-uuid.js'
import { checkRequiredHeaders, extractAssertion, type HeadersInput } from './request-headers.js'

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
}

export interface Verifier {
  readonly config: TrustedProxyAuthConfig
  /** Verifies one assertion string: the identity, or a TrustedProxyAuthError. */
  verifyAssertion(token: string, options?: VerifyOptions): Promise<TrustedIdentity>
  /** Applies every request rule, then verifies; null only in mode `optional` without an assertion. */
  verifyRequest(request: RequestLike, options?: VerifyOptions): Promise<TrustedIdentity | null>
  /**
   * Resolves once a usable key set is loaded (at once when keys are fetched per kid or there is no key
   * set). Rejects with `jwks_unavailable` (its `detail` names the cause) as soon as the key load it waits
   * for fails, or when `timeout` seconds pass first (default: TRUSTED_PROXY_JWKS_TIMEOUT).
   */
  ready(options?: { timeout?: number }): Promise<void>
  status(): KeyStatus
  /** Stops background key refreshes. */
  close(): void
}

const encoder = new TextEncoder()

/** The keys the configuration names: a key set (configured or discovered), one key per kid, or a shared secret. */
function signatureKeysFor(config: TrustedProxyAuthConfig, dependencies: VerifierDependencies, emit: EventListener, kidOptionalTryAll: boolean): SignatureKeys {
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
      return jwksKeys(store, { kidOptionalTryAll })
    }
  }
}

export function createVerifier(config: TrustedProxyAuthConfig, dependencies: VerifierDependencies = {}): Verifier {
  const listener = dependencies.onEvent
  const emit = (event: TrustedProxyAuthEvent): void => {
    if (!listener) return
    try {
      listener(event)
    } catch {
      // A failing log or metrics hook must never decide whether a request is authenticated.
    }
  }
  const quirks = activeQuirks(config)
  const keys = signatureKeysFor(config, dependencies, emit, quirks.kidOptionalTryAll)
  keys.start()

  async function verify(token: string, now: number): Promise<TrustedIdentity> {
    if (token === '') throw new TrustedProxyAuthError('missing_assertion')
    if (token.length > config.maxAssertionBytes || encoder.encode(token).length > config.maxAssertionBytes) {
      throw new TrustedProxyAuthError('assertion_too_large')
    }
    const jws = parseCompactJws(token, { allowPadding: quirks.paddedBase64url })
    if (!jws) throw new TrustedProxyAuthError('malformed_assertion')
    const { protectedHeader: header, payload } = jws

    const alg = header['alg']
    if (typeof alg !== 'string') throw new TrustedProxyAuthError('malformed_assertion')
    if (!config.algorithms.includes(alg)) throw new TrustedProxyAuthError('unsupported_algorithm')
    if ('b64' in header || 'crit' in header) throw new TrustedProxyAuthError('malformed_assertion')
    const kid = header['kid']
    if (kid !== undefined && typeof kid !== 'string') throw new TrustedProxyAuthError('malformed_assertion')

    // Stage key_lookup starts here: a kid that would go into a key URL must be a UUID before anything is looked up.
    if (quirks.kidUuid && !isUuidKid(kid)) throw new TrustedProxyAuthError('unknown_key')
    await keys.verify(jws, alg, kid)
    const checked = checkClaims({ header, payload }, config, quirks, now)
    const identity = mapIdentity(payload, checked, config, quirks.emailVerifiedString)
    checkUserPolicy(identity, config)
    return identity
  }

  async function observe<T extends TrustedIdentity | null>(work: Promise<T>): Promise<T> {
    try {
      const identity = await work
      if (identity) emit({ type: 'verify_ok', subject: identity.subject, issuer: identity.issuer })
      return identity
    } catch (error) {
      if (error instanceof TrustedProxyAuthError) emit({ type: 'verify_failed', code: error.code })
      throw error
    }
  }

  const currentTime = (options?: VerifyOptions): number => options?.now ?? Date.now() / 1000

  return {
    config,
    verifyAssertion: (token, options) => observe(verify(token, currentTime(options))),
    verifyRequest: (request, options) =>
      observe(
        (async () => {
          if (config.trustedAddresses.length > 0 && !isTrustedPeer(request.remoteAddress, config.trustedAddresses)) {
            throw new TrustedProxyAuthError('untrusted_source')
          }
          checkRequiredHeaders(request.headers, config.requiredHeaders)
          const token = extractAssertion(request.headers, config.assertionHeader)
          if (token === null) {
            if (config.mode === 'optional') return null
            throw new TrustedProxyAuthError('missing_assertion')
          }
          return verify(token, currentTime(options))
        })(),
      ),
    ready: (options) => keys.ready((options?.timeout ?? config.jwksTimeout) * 1000),
    status: () => keys.status(),
    close: () => keys.close(),
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
