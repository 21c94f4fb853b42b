import type { TrustedProxyAuthConfig } from './config.js'
import { quoted } from './detail-text.js'
import { TrustedProxyAuthError } from './errors.js'
import type { TrustedIdentity } from './identity.js'

/**
 * Stage `user_policy` (contract/checks.json): with TRUSTED_PROXY_ALLOWED_USERS or TRUSTED_PROXY_ALLOWED_GROUPS set,
 * the identity's subject, its email (unless email_verified is false) or one of its groups must be listed.
 * @throws TrustedProxyAuthError `forbidden_user`.
 */
export function checkUserPolicy(identity: TrustedIdentity, config: TrustedProxyAuthConfig): void {
  if (config.allowedUsers.length === 0 && config.allowedGroups.length === 0) return
  const allowedUser = config.allowedUsers.includes(identity.subject) || (identity.email !== null && identity.emailVerified !== false && config.allowedUsers.includes(identity.email))
  const allowedGroup = identity.groups.some((group) => config.allowedGroups.includes(group))
  if (!allowedUser && !allowedGroup) {
    throw new TrustedProxyAuthError('forbidden_user', { detail: `subject ${quoted(identity.subject)} is in neither TRUSTED_PROXY_ALLOWED_USERS nor TRUSTED_PROXY_ALLOWED_GROUPS` })
  }
}
