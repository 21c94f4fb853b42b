/**
 * identity.emailVerified: null when `email_verified` is absent; true only for the JSON boolean true, or
 * (quirk emailVerifiedString, Cognito userinfo) also for the exact string "true"; false for anything else.
 */
export function emailVerifiedFrom(value: unknown, acceptString: boolean): boolean | null {
  if (value === undefined) return null
  return value === true || (acceptString && value === 'true')
}
