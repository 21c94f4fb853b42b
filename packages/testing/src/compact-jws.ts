import { base64url, type CryptoKey } from 'jose'
import { signingParameters, type TestAlgorithm } from './algorithms.js'

/** A JOSE header or JWT payload: an object serialized with JSON.stringify, or a string used byte for byte. */
export type JwsPart = Readonly<Record<string, unknown>> | string

const encoder = new TextEncoder()

const encodePart = (part: JwsPart): string => base64url.encode(typeof part === 'string' ? part : JSON.stringify(part))

/**
 * Builds a compact JWS without validating the header or payload, so tests can craft tokens a strict
 * verifier must refuse (alg confusion, crit, duplicate members, non-JSON payloads). The signature is
 * always a real one made by `privateKey` with the parameters of `signingAlg`, whatever the header claims.
 */
export async function signCompactJws(privateKey: CryptoKey, signingAlg: TestAlgorithm, header: JwsPart, payload: JwsPart): Promise<string> {
  const signingInput = `${encodePart(header)}.${encodePart(payload)}`
  const signature = await crypto.subtle.sign(signingParameters(signingAlg), privateKey, encoder.encode(signingInput))
  return `${signingInput}.${base64url.encode(new Uint8Array(signature))}`
}
