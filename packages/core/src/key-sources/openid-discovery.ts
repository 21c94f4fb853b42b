import { FetchFailure } from '../key-fetch.js'
import { keyUrlProblem } from '../url-rules.js'

export const MAX_DISCOVERY_DOCUMENT_BYTES = 1024 * 1024

/**
 * The `jwks_uri` of an OpenID Provider metadata document (OpenID Connect Discovery 1.0 section 4),
 * accepted only when the document names exactly the configured issuer (section 4.3: otherwise anyone
 * able to answer the request could point us at their own keys) and the URI passes the key URL rules.
 * Throws FetchFailure.
 */
export function jwksUriFromDiscovery(text: string, issuer: string): string {
  let metadata: unknown
  try {
    metadata = JSON.parse(text)
  } catch {
    throw new FetchFailure('discovery document: invalid JSON')
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new FetchFailure('discovery document is not a JSON object')
  // Own members only: nothing Object.prototype was given (prototype pollution) passes for the issuer or the key URL.
  const documentIssuer = Object.hasOwn(metadata, 'issuer') ? (metadata as { issuer: unknown }).issuer : undefined
  const jwksUri = Object.hasOwn(metadata, 'jwks_uri') ? (metadata as { jwks_uri: unknown }).jwks_uri : undefined
  if (documentIssuer !== issuer) {
    const received = typeof documentIssuer === 'string' ? JSON.stringify(documentIssuer.slice(0, 200)) : 'none'
    throw new FetchFailure(`discovery issuer differs: expected ${JSON.stringify(issuer)}, received ${received}`)
  }
  if (typeof jwksUri !== 'string' || keyUrlProblem(jwksUri) !== null) throw new FetchFailure('discovery document has no usable jwks_uri')
  return jwksUri
}
