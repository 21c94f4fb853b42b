import type { ErrorCode } from './errors.js'

/**
 * What the library reports through the `onEvent` hook, for logs and metrics. Events never carry
 * the assertion or key material: kids, codes, counts, durations, and an error's `detail` (which may quote
 * a received issuer, audience or subject, cut and escaped; contract/errors.json).
 */
export type TrustedProxyAuthEvent =
  | { type: 'jwks_fetch_ok'; url: string; durationMs: number; keyCount: number; ignoredCount: number }
  | { type: 'jwks_fetch_failed'; url: string; durationMs: number; reason: string }
  | { type: 'jwks_key_ignored'; kid: string | null; reason: string }
  | { type: 'jwks_stale_served'; ageSeconds: number }
  /** `kid` null: a kid-less assertion no key verified (preset teleport's kidOptionalTryAll refetch). */
  | { type: 'unknown_kid'; kid: string | null; refetched: boolean }
  /** `cached`: a remembered verification answered (a hit of TRUSTED_PROXY_CACHE_SIZE); false is a miss or the cache is off. */
  | { type: 'verify_ok'; subject: string; issuer: string; cached: boolean }
  /** `detail`: the error's non-secret detail (contract/errors.json), when it has one. */
  | { type: 'verify_failed'; code: ErrorCode; detail?: string }
  /** The enrollment record at `path` was removed (audit trail); `by`: the subject who revoked it, when known. */
  | { type: 'enrollment_revoked'; path: string; by: string | null }

export type EventListener = (event: TrustedProxyAuthEvent) => void
