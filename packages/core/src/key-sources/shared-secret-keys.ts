import { TrustedProxyAuthError } from '../errors.js'
import { signatureVerifies } from '../jws-signature.js'
import { SHARED_SECRET_ALGORITHM, sharedSecretKey } from '../quirks/shared-secret-hs256.js'
import type { SignatureKeys } from './key-source.js'

/**
 * Quirk sharedSecretHS256 (preset authentik): the configured secret is the single candidate and nothing
 * is ever fetched. The header policy already refused every `alg` but HS256; a `kid` is ignored. The
 * HMAC comparison is the JOSE library's (constant time).
 */
export function sharedSecretKeys(secret: string): SignatureKeys {
  const key = sharedSecretKey(secret)
  return {
    start: () => undefined,
    ready: () => Promise.resolve(),
    status: () => ({ state: 'ready', keyCount: 1, lastFetchAt: null, lastSuccessAt: null, lastError: null, nextRetryAt: null, fetchCount: 0 }),
    close: () => undefined,
    async verify(jws, alg) {
      if (alg !== SHARED_SECRET_ALGORITHM || !(await signatureVerifies(jws, key, alg))) throw new TrustedProxyAuthError('invalid_signature')
      return 'sharedSecret'
    },
    // The secret is fixed by the configuration, which a verifier never changes.
    isCurrent: (verifyingKey) => verifyingKey === 'sharedSecret',
  }
}
