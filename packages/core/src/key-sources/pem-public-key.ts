import { exportJWK, importSPKI } from 'jose'
import { FetchFailure } from '../key-fetch.js'
import { keyMaterialProblem } from '../key-material.js'
import type { PublicJwk } from '../key-set.js'

/** One SubjectPublicKeyInfo block and nothing else (surrounding whitespace aside): a private key or a second block is refused. */
const ONE_PUBLIC_KEY_BLOCK = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----$/

/** jose imports SPKI for one algorithm family at a time; these cover every key type the verifier can use. */
const PROBE_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'EdDSA'] as const

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const

/**
 * The public key of a PEM answer (jwksUrlRules `kidTemplate`, keyFormat `pem-spki`) as a key-set member
 * with `kid` = the assertion's kid and no alg/use/key_ops, so the usual usability rules of stage key_lookup
 * decide whether it fits the assertion's `alg`. Throws FetchFailure when the text is not one public key, or
 * when that key fails the key material rules (contract/checks.json `keyUsability`): the one key published
 * for the kid is unusable, which the key host must fix.
 */
export async function publicJwkFromPem(text: string, kid: string): Promise<PublicJwk> {
  const pem = text.trim()
  if (!ONE_PUBLIC_KEY_BLOCK.test(pem)) throw new FetchFailure('not one PEM public key')
  for (const alg of PROBE_ALGORITHMS) {
    let exported: Record<string, unknown>
    try {
      exported = { ...(await exportJWK(await importSPKI(pem, alg, { extractable: true }))) }
    } catch {
      continue
    }
    // Own members only, into a record without a prototype (as keySetMember makes of a key set's members).
    const member = Object.create(null) as Record<string, unknown>
    for (const name of PUBLIC_MEMBERS) if (Object.hasOwn(exported, name) && exported[name] !== undefined) member[name] = exported[name]
    if (keyMaterialProblem(member) !== null) throw new FetchFailure('not a usable public key')
    member['kid'] = kid
    return Object.freeze(member)
  }
  throw new FetchFailure('not a supported public key')
}
