import { LocalFileError, readLocalTextFile } from '../local-file.js'
import type * as NodeFs from 'node:fs'
import type { TrustedProxyAuthConfig } from '../config.js'
import { FetchFailure, fetchKeyDocument } from '../key-fetch.js'
import { fitsAlgorithm, hasPrivateMaterial, unusableReason, type PublicJwk } from '../key-set.js'
import { keySetMembers } from '../key-set-document.js'
import { MAX_DISCOVERY_DOCUMENT_BYTES } from '../key-sources/openid-discovery.js'
import { keyUrlProblem } from '../url-rules.js'
import { finding, type Finding } from './findings.js'

const MAX_KEY_SET_BYTES = 1024 * 1024

/** Why a fetch gave nothing: the key fetch's own cause in words ("timed out after 5 s", "HTTP status 404"), as both languages print it. */
function fetchCause(error: unknown): string {
  return error instanceof FetchFailure ? error.message : 'connection failed'
}

async function fetchJson(url: string, config: TrustedProxyAuthConfig, fetchImpl: typeof fetch, maxBytes: number): Promise<{ json: unknown } | { cause: string }> {
  let text: string
  try {
    ;({ text } = await fetchKeyDocument({ fetch: fetchImpl, url, timeoutMs: config.jwksTimeout * 1000, maxBytes, accept: 'application/json' }))
  } catch (error) {
    return { cause: fetchCause(error) }
  }
  try {
    return { json: JSON.parse(text) as unknown }
  } catch {
    return { json: undefined }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function kidText(member: PublicJwk): string {
  return typeof member.kid === 'string' ? `kid "${member.kid}"` : 'a key without kid'
}

/** The key set's members judged as the verifier judges them, plus the allow-list against what they can verify. */
function keySetFindings(url: string, json: unknown, config: TrustedProxyAuthConfig): Finding[] {
  const members = keySetMembers(json)
  if (members === null) return [finding('keys_not_a_key_set', url)]
  const findings: Finding[] = []
  const usable: PublicJwk[] = []
  for (const jwk of members) {
    if (jwk === null) {
      findings.push(finding('key_unusable', 'a member is not a JSON object'))
      continue
    }
    if (hasPrivateMaterial(jwk)) {
      findings.push(finding('key_private_material', kidText(jwk)))
      continue
    }
    const reason = unusableReason(jwk)
    if (reason === null) usable.push(jwk)
    else if (reason.startsWith('RSA modulus under')) findings.push(finding('key_weak', `${kidText(jwk)}: ${reason}`))
    else findings.push(finding('key_unusable', `${kidText(jwk)}: ${reason}`))
  }
  if (usable.length === 0) return [...findings, finding('no_usable_keys', url)]
  const fitting = config.algorithms.filter((alg) => usable.some((jwk) => fitsAlgorithm(jwk, alg)))
  if (fitting.length === 0) return [...findings, finding('no_key_for_algorithms', `allowed: ${config.algorithms.join(', ')}`)]
  const missing = config.algorithms.filter((alg) => !fitting.includes(alg))
  if (missing.length > 0) findings.push(finding('algorithms_without_key', `no key for: ${missing.join(', ')}`))
  findings.push(finding('keys_ok', `${usable.length} usable of ${members.length} keys at ${url}`))
  return findings
}

/** A local key set file read once, judged like a fetched one (a missing or unreadable file is unreachable). */
function keyFileFindings(path: string, config: TrustedProxyAuthConfig): Finding[] {
  const fs = globalThis.process?.getBuiltinModule?.('node:fs') as typeof NodeFs | undefined
  let text: string
  try {
    if (!fs) throw new Error('no file system')
    text = readLocalTextFile(fs, path, MAX_KEY_SET_BYTES).replace(/^\uFEFF/, '')
  } catch (error) {
    return [finding('keys_unreachable', `${path}: ${error instanceof LocalFileError && !error.missing ? error.message : 'cannot be read'}`)]
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return keySetFindings(path, json, config)
}

/**
 * Reads the key endpoint (after OpenID discovery when configured) once, with the verifier's time-out and limits;
 * a local key set is read from its file or the configuration. With TRUSTED_PROXY_ISSUERS, each entry's keys are
 * audited against its own algorithms, the findings of each prefixed by nothing but their own detail.
 */
export async function liveFindings(config: TrustedProxyAuthConfig, fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<Finding[]> {
  if (config.issuers.length > 0) {
    const all: Finding[] = []
    for (const entry of config.issuers) {
      all.push(...(await liveFindings({ ...config, issuers: [], issuer: [entry.issuer], keySource: entry.keySource, algorithms: entry.algorithms }, fetchImpl)))
    }
    return all
  }
  const source = config.keySource
  if (source.kind === 'sharedSecret' || source.kind === 'kidTemplate') return [finding('keys_not_fetched')]
  if (source.kind === 'jwksFile') return keyFileFindings(source.path, config)
  if (source.kind === 'inlineJwks') return keySetFindings('TRUSTED_PROXY_JWKS', { keys: source.keys }, config)
  let url = source.kind === 'jwks' ? source.url : source.discoveryUrl
  if (source.kind === 'discovery') {
    const discovered = await fetchJson(url, config, fetchImpl, MAX_DISCOVERY_DOCUMENT_BYTES)
    if ('cause' in discovered) return [finding('keys_unreachable', `${url}: ${discovered.cause}`)]
    if (!isObject(discovered.json)) return [finding('keys_unreachable', `${url}: discovery document is not a JSON object`)]
    // Own members only: nothing Object.prototype was given passes for the issuer or the key URL.
    const named = Object.hasOwn(discovered.json, 'issuer') ? discovered.json['issuer'] : undefined
    if (named !== source.issuer) {
      const what = typeof named === 'string' ? `"${named}"` : 'no issuer'
      return [finding('discovery_issuer_mismatch', `configured "${source.issuer}", document names ${what}`)]
    }
    const jwksUri = Object.hasOwn(discovered.json, 'jwks_uri') ? discovered.json['jwks_uri'] : undefined
    if (typeof jwksUri !== 'string' || keyUrlProblem(jwksUri) !== null) return [finding('keys_unreachable', `${url}: discovery document has no usable jwks_uri`)]
    url = jwksUri
  }
  const keySet = await fetchJson(url, config, fetchImpl, MAX_KEY_SET_BYTES)
  if ('cause' in keySet) return [finding('keys_unreachable', `${url}: ${keySet.cause}`)]
  return keySetFindings(url, keySet.json, config)
}
