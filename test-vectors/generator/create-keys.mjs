/* eslint-disable no-console -- a command-line script reports what it wrote */
// One-off: creates the committed TEST-ONLY key pairs in ../keys. Refuses to overwrite, because every
// committed vector is signed with these keys; regenerating them would change every file.
import { checkPrimeSync, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto'
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
  ['test-rsa-e3', 'rsa', { modulusLength: 2048, publicExponent: 3 }],
  ['test-rsa-2047', 'rsa', { modulusLength: 2047 }],
]

/** Keys that need a property generateKeyPairSync cannot ask for. */
/** @type {Array<[string, () => Record<string, string>]>} */
const constructed = [
  // x begins with a zero octet, so that a 31-octet x (the zero left out) still names the same point.
  ['test-ec-p256-x-leading-zero', () => keyWhere('ec', { namedCurve: 'P-256' }, (jwk) => Buffer.from(jwk['x'] ?? '', 'base64url')[0] === 0)],
  ['test-rsa-roca', rocaKey],
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

for (const [name, construct] of constructed) {
  const file = join(keysDir, `${name}.json`)
  if (existsSync(file)) continue
  const jwk = { ...construct(), kid: name }
  createPrivateKey({ key: jwk, format: 'jwk' }) // OpenSSL checks the parts fit together
  writeFileSync(file, JSON.stringify(jwk, null, 2) + '\n')
  console.log(`created ${file}`)
}

/**
 * @param {string} type
 * @param {object} options
 * @param {(jwk: Record<string, string>) => boolean} wanted
 */
function keyWhere(type, options, wanted) {
  const generate = /** @type {(type: string, options: object) => { privateKey: import('node:crypto').KeyObject }} */ (/** @type {unknown} */ (generateKeyPairSync))
  for (;;) {
    const jwk = /** @type {Record<string, string>} */ (generate(type, options).privateKey.export({ format: 'jwk' }))
    if (wanted(jwk)) return jwk
  }
}

/** @param {bigint} value */
function b64uInt(value) {
  const hex = value.toString(16)
  return Buffer.from(hex.padStart(hex.length + (hex.length % 2), '0'), 'hex').toString('base64url')
}

/** @param {number} bytes */
function randomBigInt(bytes) {
  return BigInt('0x' + randomBytes(bytes).toString('hex'))
}

/** @param {bigint} base @param {bigint} exponent @param {bigint} modulus */
function modPow(base, exponent, modulus) {
  let result = 1n
  let b = base % modulus
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus
    b = (b * b) % modulus
  }
  return result
}

/** @param {bigint} a @param {bigint} m */
function modInverse(a, m) {
  let [oldR, r, oldS, s] = [a % m, m, 1n, 0n]
  while (r !== 0n) {
    const quotient = oldR / r
    ;[oldR, r] = [r, oldR - quotient * r]
    ;[oldS, s] = [s, oldS - quotient * s]
  }
  if (oldR !== 1n) throw new Error('not invertible')
  return ((oldS % m) + m) % m
}

/**
 * A 2048-bit RSA key of the ROCA form (CVE-2017-15361): both primes are k·M + (65537^a mod M), M the
 * product of the primes 3..167, so n mod each of them is a power of 65537 (the fingerprint the verifier
 * refuses). M here is far smaller than RSALib's, so this key is not itself factorable by the attack.
 */
function rocaKey() {
  const smallPrimes = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167]
  const m = smallPrimes.reduce((product, prime) => product * BigInt(prime), 1n)
  const e = 65537n
  const prime = () => {
    for (;;) {
      const candidate = (randomBigInt(128) / m) * m + modPow(e, randomBigInt(8), m)
      const bits = candidate.toString(2).length
      if (bits === 1024 && candidate.toString(2)[1] === '1' && (candidate - 1n) % e !== 0n && checkPrimeSync(candidate)) return candidate
    }
  }
  const p = prime()
  let q = prime()
  while (q === p) q = prime()
  const n = p * q
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n)
  const d = modInverse(e, lambda)
  return { kty: 'RSA', n: b64uInt(n), e: b64uInt(e), d: b64uInt(d), p: b64uInt(p), q: b64uInt(q), dp: b64uInt(d % (p - 1n)), dq: b64uInt(d % (q - 1n)), qi: b64uInt(modInverse(q, p)) }
}

/** @param {bigint} a @param {bigint} b */
function gcd(a, b) {
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}
