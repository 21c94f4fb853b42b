// The committed TEST-ONLY key pairs (../../keys) and the public key-set members made from them.
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const KEYS_DIR = join(import.meta.dirname, '..', '..', 'keys')

/**
 * @typedef {{ name: string, jwk: Record<string, string>, privateKey: import('node:crypto').KeyObject, publicKey: import('node:crypto').KeyObject }} TestKey
 */

/** @returns {Map<string, TestKey>} */
export function loadKeys() {
  /** @type {Map<string, TestKey>} */
  const keys = new Map()
  for (const file of readdirSync(KEYS_DIR).filter((name) => name.endsWith('.json')).sort()) {
    const jwk = JSON.parse(readFileSync(join(KEYS_DIR, file), 'utf8'))
    const name = file.replace(/\.json$/, '')
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' })
    keys.set(name, { name, jwk, privateKey, publicKey: createPublicKey(privateKey) })
  }
  return keys
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e']

/**
 * The public half of a test key as a key-set member: key material, `kid` = the key name, `use: "sig"`,
 * then `extra` (a member set to undefined is dropped, e.g. `{ use: undefined }`).
 * @param {Map<string, TestKey>} keys
 * @param {string} name
 * @param {Record<string, unknown>} [extra]
 */
export function publicMember(keys, name, extra = {}) {
  const key = keys.get(name)
  if (!key) throw new Error(`no test key ${name}`)
  /** @type {Record<string, unknown>} */
  const member = {}
  for (const field of PUBLIC_MEMBERS) if (key.jwk[field] !== undefined) member[field] = key.jwk[field]
  member['kid'] = name
  member['use'] = 'sig'
  for (const [field, value] of Object.entries(extra)) {
    if (value === undefined) delete member[field]
    else member[field] = value
  }
  return member
}

/**
 * The whole private JWK (for key sets that wrongly publish private material).
 * @param {Map<string, TestKey>} keys
 * @param {string} name
 */
export function privateMember(keys, name) {
  const key = keys.get(name)
  if (!key) throw new Error(`no test key ${name}`)
  return { ...key.jwk, use: 'sig' }
}
