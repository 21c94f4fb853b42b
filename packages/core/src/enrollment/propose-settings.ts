import type { EnvInput } from '../config.js'
import { TrustedProxyAuthError } from '../errors.js'
import { ENROLLMENT_CONTRACT, ENV_CONTRACT } from '../generated/contract.js'
import { FetchFailure, fetchKeyDocument } from '../key-fetch.js'
import { jwksUriFromDiscovery, MAX_DISCOVERY_DOCUMENT_BYTES } from '../key-sources/openid-discovery.js'
import { keyUrlProblem } from '../url-rules.js'
import { decodeAssertion, LARGEST_ASSERTION_BYTES } from './decoded-assertion.js'
import type { EnrollmentProposal, SettingValue } from './enrollment-types.js'

export interface ProposeSettingsInput {
  /** The challenge assertion that came through the proxy; read (not verified) for its issuer and audience. */
  assertion: string
  /** A preset of contract/presets.json (TRUSTED_PROXY_PRESET). */
  preset?: string
  /** Find TRUSTED_PROXY_JWKS_URL by OpenID discovery from the issuer when nothing names it (one fetch). */
  discovery?: boolean
  /** Settings already decided (TRUSTED_PROXY_* variables); they win over what the assertion suggests. */
  env?: EnvInput
  /** The request header that carried the assertion (TRUSTED_PROXY_ASSERTION_HEADER when not already set). */
  assertionHeader?: string
  /**
   * Fill TRUSTED_PROXY_ISSUER and TRUSTED_PROXY_AUDIENCE from the assertion's `iss` and `aud` when nothing
   * decided them (default true: a proposal a person reviews before trusting it). false for unattended use, where
   * a token must never vouch for itself: the settings then come only from `env`, `preset` and `assertionHeader`.
   */
  fromAssertion?: boolean
  /** For discovery (default globalThis.fetch). */
  fetch?: typeof fetch
}

const FORBIDDEN: readonly string[] = ENROLLMENT_CONTRACT.forbiddenSettings
const KNOWN = new Set<string>(ENV_CONTRACT.variables.map((variable) => variable.name))
const DEFAULT_TIMEOUT_SECONDS = Number(ENV_CONTRACT.variables.find((variable) => variable.name === 'TRUSTED_PROXY_JWKS_TIMEOUT')?.default ?? 5)

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')

/** The claims of the assertion, read without verification; throws assertion_too_large or malformed_assertion. */
function claimsOf(assertion: string): Record<string, unknown> {
  const read = decodeAssertion(assertion.trim())
  if ('decoded' in read) return read.decoded.claims
  if (read.problem === 'too_large') throw new TrustedProxyAuthError('assertion_too_large', { detail: `longer than ${LARGEST_ASSERTION_BYTES} bytes` })
  throw new TrustedProxyAuthError('malformed_assertion', { detail: 'not a compact JWS (three base64url segments with a JSON object header and payload)' })
}

/** The discovered `jwks_uri` of `issuer` (OpenID Connect Discovery 1.0 section 4; the document must name exactly this issuer). */
async function discoveredKeySetUrl(issuer: string, fetchImpl: typeof fetch): Promise<string> {
  if (keyUrlProblem(issuer) !== null) {
    throw new TrustedProxyAuthError('invalid_config', { problems: [{ variable: 'TRUSTED_PROXY_ISSUER', message: 'cannot be used for discovery: it must be an https URL (http only on loopback)' }] })
  }
  const url = `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}/.well-known/openid-configuration`
  try {
    const { text } = await fetchKeyDocument({ fetch: fetchImpl, url, timeoutMs: DEFAULT_TIMEOUT_SECONDS * 1000, maxBytes: MAX_DISCOVERY_DOCUMENT_BYTES, accept: 'application/json' })
    return jwksUriFromDiscovery(text, issuer)
  } catch (error) {
    throw new TrustedProxyAuthError('jwks_unavailable', { detail: error instanceof FetchFailure ? error.message : 'request failed', cause: error })
  }
}

/**
 * Settings to propose for enrollment: those already decided in `env` (never the ones contract/enrollment.json
 * forbids in a record), the preset, the header that carried the assertion, then (unless `fromAssertion` is
 * false) the assertion's own `iss` and `aud` for whatever is still open, and with `discovery` the key set URL
 * the issuer's discovery document names.
 * A proposal is only a suggestion: checkEnrollment decides. When it reads the assertion (`fromAssertion`), throws
 * `malformed_assertion` when it is not a compact JWS and `assertion_too_large` above 65536 bytes (no
 * configuration accepts more); always `jwks_unavailable` (detail: the cause) when discovery fails, `invalid_config` when the
 * issuer cannot be used for discovery.
 */
export async function proposeSettings(input: ProposeSettingsInput): Promise<EnrollmentProposal> {
  const settings: Record<string, SettingValue> = {}
  for (const [name, value] of Object.entries(input.env ?? {})) {
    if (value === undefined || value.trim() === '' || !KNOWN.has(name) || FORBIDDEN.includes(name)) continue
    settings[name] = value
  }
  if (input.preset !== undefined) settings['TRUSTED_PROXY_PRESET'] = input.preset
  if (input.assertionHeader !== undefined && settings['TRUSTED_PROXY_ASSERTION_HEADER'] === undefined) settings['TRUSTED_PROXY_ASSERTION_HEADER'] = input.assertionHeader
  if (input.fromAssertion !== false) {
    const { iss, aud } = claimsOf(input.assertion)
    if (settings['TRUSTED_PROXY_ISSUER'] === undefined && typeof iss === 'string' && iss !== '') settings['TRUSTED_PROXY_ISSUER'] = iss
    if (settings['TRUSTED_PROXY_AUDIENCE'] === undefined && ((typeof aud === 'string' && aud !== '') || isStringList(aud))) settings['TRUSTED_PROXY_AUDIENCE'] = aud
  }
  const issuer = settings['TRUSTED_PROXY_ISSUER']
  if (input.discovery === true && settings['TRUSTED_PROXY_JWKS_URL'] === undefined && typeof issuer === 'string') {
    settings['TRUSTED_PROXY_JWKS_URL'] = await discoveredKeySetUrl(issuer, input.fetch ?? globalThis.fetch.bind(globalThis))
  }
  return { settings }
}
