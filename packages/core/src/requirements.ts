import { TrustedProxyAuthError, type ConfigProblem } from './errors.js'
import type { TrustedIdentity } from './identity.js'
import { requirePresent } from './required-identity.js'

/**
 * What a custom route check may answer: `true` allows; anything else (`false`, `undefined`, …) denies with
 * 403 `forbidden_user`, so a check that forgets to return fails closed. To deny with another contract code
 * (e.g. 401 `missing_assertion`), throw `new TrustedProxyAuthError(code, { detail })`.
 */
export type RequirementCheckResult = boolean | undefined | Promise<boolean | undefined>

/**
 * Per-route requirements, checked after the global middleware verified the assertion
 * (contract/requirements.json). Every listed requirement must hold; the first that fails decides.
 * `Request` is the framework's request (or context) the check receives; `Identity` the identity type the
 * adapter exposes (`TrustedIdentity<YourClaims>` when the application registers its claims).
 */
export interface RouteRequirements<Request = unknown, Identity extends TrustedIdentity<object> = TrustedIdentity> {
  /**
   * `name`: the claim is present and not null. `name=value` (split at the first `=`): the claim is exactly
   * the string `value`, or an array containing it. Top-level claims only; exact string comparison.
   */
  readonly claims?: readonly string[]
  /** Against `identity.groups` (TRUSTED_PROXY_CLAIM_GROUPS): `any` needs one of them, `all` every one. */
  readonly groups?: { readonly any?: readonly string[]; readonly all?: readonly string[] }
  /**
   * Every scope must be granted; granted scopes are the space-separated `scope` string (RFC 8693 §4.2)
   * together with `scp` (an array of strings, or a space-separated string).
   */
  readonly scopes?: readonly string[]
  /** Runs last, with the verified identity and the framework's request; see RequirementCheckResult. */
  readonly check?: (identity: Identity, request: Request) => RequirementCheckResult
}

/** A route requirement as data (no custom check): the form contract/requirements.json and the shared cases use. */
export type RequirementData = Omit<RouteRequirements, 'check'>

/** The outcome of the declarative requirements: `null` when all hold, else the failed requirement's text. */
export type RequirementFailure = string | null

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key)

function requirementProblems(requirements: RouteRequirements<never>): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const nonEmptyList = (variable: string, list: unknown, itemRule: (item: string) => string | null): void => {
    if (list === undefined) return
    if (!Array.isArray(list) || list.length === 0) {
      problems.push({ variable, message: 'must be a non-empty list of strings' })
      return
    }
    for (const item of list) {
      const message = typeof item === 'string' ? itemRule(item) : 'must be a string'
      if (message) problems.push({ variable, message })
    }
  }
  // RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), so no space, quote or backslash.
  const scopeToken = (item: string): string | null => (/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(item) ? null : 'entries must be RFC 6749 scope tokens (printable ASCII, no space, quote or backslash)')
  nonEmptyList('claims', requirements.claims, (item) => (item === '' || item.startsWith('=') ? 'entries must be `name` or `name=value` with a non-empty name' : null))
  if (requirements.groups !== undefined) {
    if (typeof requirements.groups !== 'object' || requirements.groups === null || (requirements.groups.any === undefined && requirements.groups.all === undefined)) {
      problems.push({ variable: 'groups', message: 'must have `any` or `all`' })
    } else {
      nonEmptyList('groups.any', requirements.groups.any, (item) => (item === '' ? 'entries must be non-empty' : null))
      nonEmptyList('groups.all', requirements.groups.all, (item) => (item === '' ? 'entries must be non-empty' : null))
    }
  }
  nonEmptyList('scopes', requirements.scopes, scopeToken)
  if (requirements.check !== undefined && typeof requirements.check !== 'function') problems.push({ variable: 'check', message: 'must be a function' })
  for (const key of Object.keys(requirements)) {
    if (!['claims', 'groups', 'scopes', 'check'].includes(key)) problems.push({ variable: key, message: 'is not a route requirement' })
  }
  return problems
}

/**
 * Refuses a malformed requirement at start-up, not on the first request.
 * @throws TrustedProxyAuthError `invalid_config` with every problem (variable = the requirement's key).
 */
export function validateRequirements(requirements: RouteRequirements<never>): void {
  const problems = requirementProblems(requirements)
  if (problems.length > 0) throw new TrustedProxyAuthError('invalid_config', { problems })
}

function claimHolds(claims: Readonly<Record<string, unknown>>, rule: string): boolean {
  const separator = rule.indexOf('=')
  const name = separator === -1 ? rule : rule.slice(0, separator)
  const value = hasOwn(claims, name) ? claims[name] : undefined
  if (separator === -1) return value !== undefined && value !== null
  const wanted = rule.slice(separator + 1)
  return value === wanted || (Array.isArray(value) && value.includes(wanted))
}

const spaceSeparated = (value: unknown): string[] => (typeof value === 'string' ? value.split(' ').filter((scope) => scope !== '') : [])

/** The scopes an identity was granted: `scope` (space-separated string) and `scp` (array of strings or string). */
export function grantedScopes(claims: Readonly<Record<string, unknown>>): Set<string> {
  const scope = hasOwn(claims, 'scope') ? claims['scope'] : undefined
  const scp = hasOwn(claims, 'scp') ? claims['scp'] : undefined
  const fromScp = Array.isArray(scp) ? scp.filter((item): item is string => typeof item === 'string') : spaceSeparated(scp)
  return new Set([...spaceSeparated(scope), ...fromScp])
}

/**
 * The declarative part of contract/requirements.json, pure: claims (in order), then `groups.any`, then
 * `groups.all`, then scopes (in order). Returns `null` when every requirement holds, else the non-secret text
 * naming the first failed one (e.g. `claim tenant=acme`, `groups any of admins, ops`, `scope reports:read`):
 * requirement names and values come from the application, never from the assertion.
 */
export function checkRequirements(identity: Pick<TrustedIdentity, 'groups' | 'claims'>, requirements: RequirementData): RequirementFailure {
  for (const rule of requirements.claims ?? []) if (!claimHolds(identity.claims, rule)) return `claim ${rule}`
  const groups = new Set(identity.groups)
  const anyOf = requirements.groups?.any
  if (anyOf && !anyOf.some((group) => groups.has(group))) return `groups any of ${anyOf.join(', ')}`
  const allOf = requirements.groups?.all
  if (allOf && !allOf.every((group) => groups.has(group))) return `groups all of ${allOf.join(', ')}`
  if (requirements.scopes) {
    const granted = grantedScopes(identity.claims)
    const missingScope = requirements.scopes.find((scope) => !granted.has(scope))
    if (missingScope !== undefined) return `scope ${missingScope}`
  }
  return null
}

/** A route guard's rule, validated once: resolves when the request may proceed. */
export type RequirementGuard<Request, Identity extends TrustedIdentity<object> = TrustedIdentity> = (identity: Identity | null | undefined, request: Request) => Promise<void>

/**
 * Builds the guard every adapter maps (`requireIdentity` in Express, Koa, Hono, Fastify): validates the
 * requirements now, then per request:
 * - no identity (middleware absent, or mode `optional` without an assertion): 401 `missing_assertion`;
 * - a failed declarative requirement: 403 `forbidden_user`, `detail` naming it;
 * - the custom check returning anything but `true`: 403 `forbidden_user`, `detail` `check`; a
 *   `TrustedProxyAuthError` it throws is kept (its own code and status); any other error propagates.
 *
 * @throws TrustedProxyAuthError `invalid_config` at once for a malformed requirement.
 */
export function createRequirementGuard<Request, Identity extends TrustedIdentity<object> = TrustedIdentity>(
  requirements: RouteRequirements<Request, Identity>,
): RequirementGuard<Request, Identity> {
  validateRequirements(requirements as unknown as RouteRequirements<never>)
  const { check, ...data } = requirements
  return async (candidate, request) => {
    const identity = requirePresent(candidate)
    const failure = checkRequirements(identity, data)
    if (failure !== null) throw new TrustedProxyAuthError('forbidden_user', { detail: `route requires ${failure}` })
    if (check && (await check(identity, request)) !== true) throw new TrustedProxyAuthError('forbidden_user', { detail: 'route requires check' })
  }
}
