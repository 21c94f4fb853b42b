/* eslint-disable no-console -- a command-line script reports what it wrote */
// One-off: creates the committed TEST-ONLY key pairs in ../keys. Refuses to overwrite, because every
// committed vector is signed with these keys; regenerating them would change every file.
import { generateKeyPairSync } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const keysDir = join(import.meta.dirname, '..', 'keys')

/** @type {Array<[string, string, object]>} */
const specs = [
  ['test-rsa-a', 'rsa', { modulusLength: 2048 }],
  ['test-rsa-b', 'rsa', { modulusLength: 2048 }],
  ['test-rsa-1024', 'rsa', { modulusLength: 1024 }],
  ['test-ec-p256-a', 'ec', { namedCurve: 'P-256' }],
  ['test-ec-p256-b', 'ec', { namedCurve: 'P-256' }],
  ['test-ec-p384', 'ec', { namedCurve: 'P-384' }],
  ['test-ec-p521', 'ec', { namedCurve: 'P-521' }],
  ['test-ed25519', 'ed25519', {}],
  ['test-x25519', 'x25519', {}],
  ['test-attacker-rsa', 'rsa', { modulusLength: 2048 }],
  ['test-attacker-ec-p256', 'ec', { namedCurve: 'P-256' }],
  ['test-attacker-ed25519', 'ed25519', {}],
]

for (const [name, type, options] of specs) {
  const file = join(keysDir, `${name}.json`)
  if (existsSync(file)) continue
  // The overloads of generateKeyPairSync do not accept a key type chosen at run time.
  const generate = /** @type {(type: string, options: object) => { privateKey: import('node:crypto').KeyObject }} */ (/** @type {unknown} */ (generateKeyPairSync))
  const { privateKey } = generate(type, options)
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: name }
  writeFileSync(file, JSON.stringify(jwk, null, 2) + '\n')
  console.log(`created ${file}`)
}
