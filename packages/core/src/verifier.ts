import { compactVerify, importJWK, type CryptoKey } from 'jose'
import { isTrustedPeer } from './addresses.js'
import { checkClaims, checkUserPolicy } from './claims.js'
import { parseCompactJws } from './compact-jws.js'
import { loadConfig, type EnvInput, type TrustedProxyAuthConfig, type TrustedProxyAuthOptions } from './config.js'
import { TrustedProxyAuthError } from './errors.js'
import type { EventListener, TrustedProxyAuthEvent } from './events.js'
import { mapIdentity, type TrustedIdentity } from './identity.js'
import { fitsAlgorithm, type PublicJwk } from './key-set.js'
import { RemoteKeyStore, realScheduler, type KeyStatus, type Scheduler } from './key-store.js'
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
  /** Resolves once a key set has been loaded. */
  ready(): Promise<void>
  status(): KeyStatus
  /** Stops background key refreshes. */
  close(): void
}

const encoder = new TextEncoder()

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
  const keyStore = new RemoteKeyStore({
    url: config.jwksUrl,
    timeoutMs: config.jwksTimeout * 1000,
    cacheTtlMs: config.jwksCacheTtl * 1000,
    cooldownMs: config.jwksCooldown * 1000,
    maxStaleMs: config.jwksMaxStale * 1000,
    fetch: dependencies.fetch ?? globalThis.fetch.bind(globalThis),
    onEvent: emit,
    clock: dependencies.clock ?? Date.now,
    random: dependencies.random ?? Math.random,
    scheduler: dependencies.scheduler ?? realScheduler,
  })
  keyStore.start()

  const importedKeys = new WeakMap<PublicJwk, Map<string, Promise<CryptoKey | Uint8Array>>>()
  const importKey = (member: PublicJwk, alg: string): Promise<CryptoKey | Uint8Array> => {
    let byAlg = importedKeys.get(member)
    if (!byAlg) importedKeys.set(member, (byAlg = new Map()))
    let key = byAlg.get(alg)
    if (!key) {
      // key_ops was already checked for `verify`; jose refuses to import a public key that also lists `sign`.
      const { key_ops: _keyOps, ...jwk } = member
      byAlg.set(alg, (key = importJWK(jwk as Parameters<typeof importJWK>[0], alg)))
    }
    return key
  }

  async function verifySignature(token: string, alg: string, kid: string | undefined): Promise<void> {
    const members = (await keyStore.membersFor(kid)).filter((member) => fitsAlgorithm(member, alg))
    if (members.length === 0) throw new TrustedProxyAuthError('unknown_key')
    for (const member of members) {
      try {
        await compactVerify(token, await importKey(member, alg), { algorithms: [alg] })
        return
      } catch {
        // Try the next candidate; only when none verifies is the signature invalid.
      }
    }
    throw new TrustedProxyAuthError('invalid_signature')
  }

  async function verify(token: string, now: number): Promise<TrustedIdentity> {
    if (token === '') throw new TrustedProxyAuthError('missing_assertion')
    if (token.length > config.maxAssertionBytes || encoder.encode(token).length > config.maxAssertionBytes) {
      throw new TrustedProxyAuthError('assertion_too_large')
    }
    const parsed = parseCompactJws(token)
    if (!parsed) throw new TrustedProxyAuthError('malformed_assertion')
    const { protectedHeader, payload } = parsed

    const alg = protectedHeader['alg']
    if (typeof alg !== 'string') throw new TrustedProxyAuthError('malformed_assertion')
    if (!config.algorithms.includes(alg)) throw new TrustedProxyAuthError('unsupported_algorithm')
    if ('b64' in protectedHeader || 'crit' in protectedHeader) throw new TrustedProxyAuthError('malformed_assertion')
    const kid = protectedHeader['kid']
    if (kid !== undefined && typeof kid !== 'string') throw new TrustedProxyAuthError('malformed_assertion')

    await verifySignature(token, alg, kid)
    checkClaims(payload, config, now)
    const identity = mapIdentity(payload, config)
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
    ready: () => keyStore.ready(),
    status: () => keyStore.status(),
    close: () => keyStore.close(),
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
