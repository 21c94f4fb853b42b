import { calculateJwkThumbprint, type JWK } from 'jose'
import type { TrustedProxyAuthConfig } from '../config.js'
import { quoted } from '../detail-text.js'
import { FetchFailure, fetchKeyDocument } from '../key-fetch.js'
import { fitsAlgorithm, hasPrivateMaterial, unusableReason, type PublicJwk } from '../key-set.js'
import { keySetMembers } from '../key-set-document.js'
import { MAX_JWKS_BYTES } from '../key-store.js'
import { jwksUriFromDiscovery, MAX_DISCOVERY_DOCUMENT_BYTES } from '../key-sources/openid-discovery.js'
import type { EnrolledKey } from './enrollment-types.js'

/** A document the probe read, kept so that the verifier run afterwards checks the very same keys. */
export interface FetchedDocument {
  readonly text: string
  readonly headers: Headers
}

/** Stage outcome: `keys_reachable` and `keys_usable` of contract/enrollment.json. */
export type KeySetProbe =
  | { readonly reachable: false; readonly cause: string; readonly keySetUrl: string | null }
  | {
      readonly reachable: true
      readonly keySetUrl: string
      /** null when usable; else why not (no key material quoted). */
      readonly unusable: string | null
      readonly usableDetail: string
      readonly keys: EnrolledKey[]
      /** URL → document, for replaying to the verifier. */
      readonly documents: ReadonlyMap<string, FetchedDocument>
    }

const causeOf = (error: unknown): string => (error instanceof FetchFailure ? error.message : 'request failed')

/**
 * Fetches the key set the configuration names (after OpenID discovery when it says so) once, with the verifier's
 * own fetch (TRUSTED_PROXY_JWKS_TIMEOUT deadline, byte caps, no redirects), and judges its members with the
 * verifier's key usability rules (contract/checks.json `keyUsability`): at least one usable key must fit an
 * allowed algorithm. Only for key sources `jwks` and `discovery`.
 */
export async function probeKeySet(config: TrustedProxyAuthConfig, fetchImpl: typeof fetch): Promise<KeySetProbe> {
  const source = config.keySource
  if (source.kind !== 'jwks' && source.kind !== 'discovery') throw new TypeError('only key sets are probed')
  const timeoutMs = config.jwksTimeout * 1000
  const documents = new Map<string, FetchedDocument>()
  let keySetUrl = source.kind === 'jwks' ? source.url : null
  let text: string
  try {
    if (source.kind === 'discovery') {
      const discovery = await fetchKeyDocument({ fetch: fetchImpl, url: source.discoveryUrl, timeoutMs, maxBytes: MAX_DISCOVERY_DOCUMENT_BYTES, accept: 'application/json' })
      keySetUrl = jwksUriFromDiscovery(discovery.text, source.issuer)
      documents.set(source.discoveryUrl, discovery)
    }
    const keySet = await fetchKeyDocument({ fetch: fetchImpl, url: keySetUrl!, timeoutMs, maxBytes: MAX_JWKS_BYTES, accept: 'application/jwk-set+json, application/json' })
    documents.set(keySetUrl!, keySet)
    text = keySet.text
  } catch (error) {
    return { reachable: false, cause: causeOf(error), keySetUrl }
  }
  let members: (PublicJwk | null)[] | null
  try {
    members = keySetMembers(JSON.parse(text))
  } catch {
    return { reachable: false, cause: 'invalid JSON', keySetUrl }
  }
  if (members === null || members.some((member) => member === null)) {
    return { reachable: false, cause: 'not a JSON Web Key Set', keySetUrl }
  }
  return { reachable: true, keySetUrl: keySetUrl!, documents, ...(await judgeMembers(members as PublicJwk[], config.algorithms)) }
}

const kidText = (member: PublicJwk): string => (typeof member.kid === 'string' ? `kid ${quoted(member.kid)}` : 'a key without kid')

async function judgeMembers(members: PublicJwk[], algorithms: readonly string[]): Promise<{ unusable: string | null; usableDetail: string; keys: EnrolledKey[] }> {
  if (members.some(hasPrivateMaterial)) return { unusable: 'the key set publishes private key material', usableDetail: '', keys: [] }
  const usable: PublicJwk[] = []
  const reasons: string[] = []
  for (const member of members) {
    const reason = unusableReason(member)
    if (reason === null) usable.push(member)
    else reasons.push(`${kidText(member)}: ${reason}`)
  }
  const fitting = usable.filter((member) => algorithms.some((alg) => fitsAlgorithm(member, alg)))
  const keys = await Promise.all(fitting.map(enrolledKey))
  if (fitting.length === 0) {
    const why = usable.length === 0 ? `no usable key among ${members.length}` : `no usable key fits the allowed algorithms ${algorithms.join(', ')}`
    return { unusable: reasons.length > 0 ? `${why} (${reasons.slice(0, 5).join('; ')})` : why, usableDetail: '', keys }
  }
  return { unusable: null, usableDetail: `${fitting.length} usable of ${members.length} keys`, keys }
}

/** The audit entry of a usable member: kid, kty, alg and its RFC 7638 SHA-256 thumbprint. */
async function enrolledKey(member: PublicJwk): Promise<EnrolledKey> {
  return {
    kid: typeof member.kid === 'string' ? member.kid : null,
    kty: member.kty as EnrolledKey['kty'],
    alg: typeof member.alg === 'string' ? member.alg : null,
    thumbprint: await calculateJwkThumbprint(member as JWK, 'sha256'),
  }
}

/** A fetch that answers the probed URLs from what the probe read, and passes anything else on. */
export function replayingFetch(documents: ReadonlyMap<string, FetchedDocument>, fallback: typeof fetch): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const document = documents.get(url)
    if (document === undefined) return fallback(input, init)
    return new Response(document.text, { status: 200, headers: document.headers })
  }) as typeof fetch
}
