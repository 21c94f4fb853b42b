/** RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output. */
export const MIN_SHARED_SECRET_BYTES = 32

export const SHARED_SECRET_ALGORITHM = 'HS256'

/** The HMAC key: the configured text's UTF-8 bytes, never base64-decoded. */
export function sharedSecretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret)
}

/** Why a (trimmed) shared secret is unusable, or null. Never mentions the value. */
export function sharedSecretProblem(secret: string): string | null {
  return sharedSecretKey(secret).length < MIN_SHARED_SECRET_BYTES ? `must be at least ${MIN_SHARED_SECRET_BYTES} bytes` : null
}
