import { ownMembersCopy } from '../claim-value.js'
import { parseCompactJws } from '../compact-jws.js'
import { ENV_CONTRACT } from '../generated/contract.js'
import { withoutPadding } from '../quirks/padded-base64url.js'

/** No configuration accepts a longer assertion (TRUSTED_PROXY_MAX_ASSERTION_BYTES `maximum`), so none is decoded. */
export const LARGEST_ASSERTION_BYTES = (ENV_CONTRACT.variables.find((variable) => variable.name === 'TRUSTED_PROXY_MAX_ASSERTION_BYTES') as { maximum?: number } | undefined)?.maximum ?? 65536

/** An assertion's protected header and claims, read without verification: for display and proposals only. */
export interface DecodedAssertion {
  header: Record<string, unknown>
  claims: Record<string, unknown>
}

/**
 * The header and claims of a compact JWS (the verifier's own strict parser, padding tolerated), or a reason
 * it cannot be read. Never verified: nothing here may decide trust.
 */
export function decodeAssertion(assertion: string): { decoded: DecodedAssertion } | { problem: 'too_large' | 'malformed' } {
  if (new TextEncoder().encode(assertion).length > LARGEST_ASSERTION_BYTES) return { problem: 'too_large' }
  const parsed = parseCompactJws(assertion, { segment: withoutPadding })
  if (!parsed) return { problem: 'malformed' }
  // Copies without a prototype: a display or proposal reads only what the assertion holds, never a member
  // Object.prototype was given.
  return { decoded: { header: ownMembersCopy(parsed.protectedHeader), claims: ownMembersCopy(parsed.payload) } }
}
