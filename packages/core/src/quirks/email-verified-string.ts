import type { StagePlugs } from '../quirk-stages.js'

/**
 * Quirk emailVerifiedString, identity mapping (Cognito userinfo behind AWS ALB): identity.emailVerified is null
 * when `email_verified` is absent, true for the JSON boolean true and also for the exact string "true", false for
 * anything else.
 */
export function emailVerifiedFromText(value: unknown): boolean | null {
  if (value === undefined) return null
  return value === true || value === 'true'
}

/** The quirk's plug. */
export const emailVerifiedString = (): StagePlugs => ({ identity: { emailVerified: emailVerifiedFromText } })
