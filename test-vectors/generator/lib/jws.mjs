// Compact JWS building blocks for the generator. Signing goes through node:crypto so every byte is under
// our control (tokens here are often deliberately broken, which JWT libraries refuse to produce).
import { createHmac, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto'

/** @param {string | Uint8Array} data */
export function b64u(data) {
  return Buffer.from(data).toString('base64url')
}

/** @typedef {import('./keys.mjs').TestKey} TestKey */

/** @type {Record<string, { hash: string | null, family: 'RS' | 'PS' | 'ES' | 'EdDSA', size?: number, order?: bigint }>} */
export const ALGORITHMS = {
  RS256: { hash: 'sha256', family: 'RS' },
  RS384: { hash: 'sha384', family: 'RS' },
  RS512: { hash: 'sha512', family: 'RS' },
  PS256: { hash: 'sha256', family: 'PS' },
  PS384: { hash: 'sha384', family: 'PS' },
  PS512: { hash: 'sha512', family: 'PS' },
  ES256: { hash: 'sha256', family: 'ES', size: 32, order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n },
  ES384: {
    hash: 'sha384',
    family: 'ES',
    size: 48,
    order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  ES512: {
    hash: 'sha512',
    family: 'ES',
    size: 66,
    order:
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
  EdDSA: { hash: null, family: 'EdDSA' },
}

/** @param {string} alg */
function algorithm(alg) {
  const spec = ALGORITHMS[alg]
  if (!spec) throw new Error(`the generator cannot sign ${alg}`)
  return spec
}

/** ECDSA and RSASSA-PSS signatures are randomized; RSASSA-PKCS1-v1_5 and EdDSA are deterministic. */
export function isRandomized(/** @type {string} */ alg) {
  const family = algorithm(alg).family
  return family === 'ES' || family === 'PS'
}

/**
 * @param {string} alg
 * @param {import('node:crypto').KeyObject} key
 */
function cryptoOptions(alg, key) {
  const spec = algorithm(alg)
  if (spec.family === 'ES') return { key, dsaEncoding: /** @type {const} */ ('ieee-p1363') }
  if (spec.family === 'PS') return { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: Number(spec.hash?.slice(3)) / 8 }
  return { key }
}

/**
 * @param {string} alg
 * @param {TestKey} key
 * @param {string} signingInput
 * @param {Uint8Array} signature
 */
export function verifies(alg, key, signingInput, signature) {
  const spec = algorithm(alg)
  try {
    return cryptoVerify(spec.hash, Buffer.from(signingInput), cryptoOptions(alg, key.publicKey), signature)
  } catch {
    return false
  }
}

/** @param {bigint} value @param {number} size */
function toBytes(value, size) {
  return Buffer.from(value.toString(16).padStart(size * 2, '0'), 'hex')
}

/** @param {Uint8Array} bytes */
function toBigInt(bytes) {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes).toString('hex'))
}

/** ECDSA r‖s with s replaced by n − s: the other, equally valid, signature of the same input. */
export function flipS(/** @type {string} */ alg, /** @type {Uint8Array} */ signature) {
  const { size, order } = algorithm(alg)
  if (!size || !order) throw new Error(`${alg} is not ECDSA`)
  const s = toBigInt(signature.subarray(size))
  return Buffer.concat([signature.subarray(0, size), toBytes(order - s, size)])
}

function isLowS(/** @type {string} */ alg, /** @type {Uint8Array} */ signature) {
  const { size, order } = algorithm(alg)
  if (!size || !order) return true
  return toBigInt(signature.subarray(size)) <= order / 2n
}

/** @param {Uint8Array} bytes unsigned big-endian integer */
function derInteger(bytes) {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  let body = Buffer.from(bytes.subarray(start))
  if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.from([0]), body])
  return Buffer.concat([Buffer.from([0x02]), derLength(body.length), body])
}

function derLength(/** @type {number} */ length) {
  return length < 0x80 ? Buffer.from([length]) : Buffer.from([0x81, length])
}

/** The same ECDSA signature in the ASN.1 DER form JWS forbids (RFC 7518 §3.4 wants raw r‖s). */
export function toDer(/** @type {string} */ alg, /** @type {Uint8Array} */ signature) {
  const { size } = algorithm(alg)
  if (!size) throw new Error(`${alg} is not ECDSA`)
  const body = Buffer.concat([derInteger(signature.subarray(0, size)), derInteger(signature.subarray(size))])
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body])
}

/** Inverse of toDer, or null when the bytes are not a DER ECDSA signature. */
function fromDer(/** @type {string} */ alg, /** @type {Uint8Array} */ der) {
  const { size } = algorithm(alg)
  if (!size) return null
  const bytes = Buffer.from(der)
  let offset = 0
  const readLength = () => {
    const first = bytes[offset++] ?? 0
    return first === 0x81 ? (bytes[offset++] ?? 0) : first
  }
  if (bytes[offset++] !== 0x30) return null
  if (readLength() !== bytes.length - offset) return null
  const parts = []
  for (let i = 0; i < 2; i++) {
    if (bytes[offset++] !== 0x02) return null
    const length = readLength()
    const value = toBigInt(bytes.subarray(offset, offset + length))
    offset += length
    parts.push(toBytes(value, size))
  }
  return offset === bytes.length ? Buffer.concat(parts) : null
}

/**
 * Signs signing inputs, reusing committed signatures for the randomized algorithms so that regenerating
 * gives byte-identical files: a committed signature is reused when it was made over exactly the same
 * signing input and still verifies with the key.
 */
export class Signer {
  /**
   * @param {Map<string, TestKey>} keys
   * @param {Iterable<string>} committedStrings every string found in the committed vector files
   */
  constructor(keys, committedStrings) {
    this.keys = keys
    /** @type {Map<string, string[]>} signing input → signature segments seen in committed files */
    this.committed = new Map()
    // The second pattern finds padded tokens (AWS ALB), whose signing input keeps its `=`.
    const patterns = [/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)/g, /([A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2})\.([A-Za-z0-9_-]+={0,2})/g]
    for (const text of committedStrings) {
      for (const pattern of patterns) {
        for (const match of text.matchAll(pattern)) {
          const [, input, signature] = /** @type {[string, string, string]} */ (/** @type {unknown} */ (match))
          const seen = this.committed.get(input) ?? []
          if (!seen.includes(signature)) seen.push(signature)
          this.committed.set(input, seen)
        }
      }
    }
    /** @type {Map<string, Buffer>} */
    this.memo = new Map()
    /** @type {Array<{ alg: string, keyName: string, input: string, signature: string }>} randomized signatures made or reused */
    this.randomized = []
    this.freshSignatures = 0
  }

  /** @param {string} name */
  key(name) {
    const key = this.keys.get(name)
    if (!key) throw new Error(`no test key ${name}`)
    return key
  }

  /**
   * @param {string} alg one of ALGORITHMS
   * @param {string} keyName
   * @param {string} signingInput
   * @returns {Buffer}
   */
  sign(alg, keyName, signingInput) {
    const memoKey = `${alg} ${keyName} ${signingInput}`
    const known = this.memo.get(memoKey)
    if (known) return known
    const key = this.key(keyName)
    let signature = isRandomized(alg) ? this.reuse(alg, key, signingInput) : null
    if (!signature) {
      signature = cryptoSign(algorithm(alg).hash, Buffer.from(signingInput), cryptoOptions(alg, key.privateKey))
      // ECDSA signatures come in pairs (s, n − s); always start from the low one so a high-S vector
      // derived from it cannot be mistaken for the base signature on the next run.
      if (!isLowS(alg, signature)) signature = flipS(alg, signature)
      if (!verifies(alg, key, signingInput, signature)) throw new Error(`a fresh ${alg} signature does not verify (curve order wrong?)`)
      if (isRandomized(alg)) this.freshSignatures++
    }
    if (isRandomized(alg)) this.randomized.push({ alg, keyName, input: signingInput, signature: b64u(signature) })
    this.memo.set(memoKey, signature)
    return signature
  }

  /**
   * @param {string} alg
   * @param {TestKey} key
   * @param {string} signingInput
   */
  reuse(alg, key, signingInput) {
    const candidates = []
    for (const segment of this.committed.get(signingInput) ?? []) {
      const bytes = Buffer.from(segment, 'base64url')
      for (const candidate of [bytes, fromDer(alg, bytes)]) {
        if (candidate && isLowS(alg, candidate) && verifies(alg, key, signingInput, candidate)) candidates.push(candidate)
      }
    }
    candidates.sort((a, b) => b64u(a).localeCompare(b64u(b)))
    return candidates[0] ?? null
  }

  /** Bytes of a signature by this key under this algorithm (all fixed-length for our algorithms). */
  signatureLength(/** @type {string} */ alg, /** @type {string} */ keyName) {
    const spec = algorithm(alg)
    if (spec.size) return spec.size * 2
    if (spec.family === 'EdDSA') return 64
    return Buffer.from(this.key(keyName).jwk['n'] ?? '', 'base64url').length
  }

  /** HMAC, only ever used to forge tokens with an algorithm the contract bans. */
  hmac(/** @type {string} */ secret, /** @type {string} */ signingInput) {
    return createHmac('sha256', secret).update(signingInput).digest()
  }
}
