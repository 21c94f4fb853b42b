import type { KeyStatus } from '../key-store.js'
import type { ParsedCompactJws } from '../compact-jws.js'
import type { PublicJwk } from '../key-set.js'

/** Where the verification keys come from, fixed at configuration time (contract/presets.json `jwksUrlRules`). */
export type KeySource =
  /** A JSON Web Key Set at a configured (or preset-derived) URL. */
  | { readonly kind: 'jwks'; readonly url: string }
  /** A key set whose URL is found by OpenID Connect Discovery from the one configured issuer. */
  | { readonly kind: 'discovery'; readonly issuer: string; readonly discoveryUrl: string }
  /** One PEM public key per `kid`, at `template` with `{kid}` replaced by the assertion's (UUID) kid. */
  | { readonly kind: 'kidTemplate'; readonly template: string; readonly keyFormat: 'pem-spki' }
  /** TRUSTED_PROXY_JWKS_FILE: a local key set file, re-read when it changes. */
  | { readonly kind: 'jwksFile'; readonly path: string }
  /** TRUSTED_PROXY_JWKS: a key set given inline in the configuration (checked when it loads). */
  | { readonly kind: 'inlineJwks'; readonly keys: readonly PublicJwk[] }
  /** An HMAC secret from the configuration; no key is ever fetched. */
  | { readonly kind: 'sharedSecret' }

/** The key a signature verified with: a key-set member, or the configured shared secret. */
export type VerifyingKey = PublicJwk | 'sharedSecret'

/** Stages key_lookup and signature of contract/checks.json, whatever the keys' origin. */
export interface SignatureKeys {
  /** Starts loading keys in the background, when the source has anything to load before a request. */
  start(): void
  /** Resolves once keys are usable (at once when nothing is loaded ahead); rejects with jwks_unavailable after a failed load or `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>
  status(): KeyStatus
  close(): void
  /** Resolves with the key that verified the signature; throws unknown_key, invalid_signature or jwks_unavailable. */
  verify(jws: ParsedCompactJws, alg: string, kid: string | undefined): Promise<VerifyingKey>
  /**
   * The same answer as `verify` (and the same errors, thrown), given without waiting when it can be: keys
   * fresh in memory, the kid known, the key imported, nothing to fetch. null when only `verify` can answer.
   * Answering at once spares every verification the promise hops of the general path.
   */
  verifyNow?(jws: ParsedCompactJws, alg: string, kid: string | undefined): VerifyingKey | null
  /**
   * Whether `key` is still in the fresh key set, answered from memory (no fetch): a remembered verification
   * is reused only while this holds, else the assertion is verified again in full.
   */
  isCurrent(key: VerifyingKey): boolean
}
