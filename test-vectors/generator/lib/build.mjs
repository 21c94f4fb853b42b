// Turns the case files into vector files, deterministically (see ../../README.md, "Determinism").
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { errorOutcome, identityFor } from './contract.mjs'
import { amend, BASE_CONFIG, claims, NOW } from './dsl.mjs'
import { ALGORITHMS, b64u, Signer, verifies } from './jws.mjs'
import { loadKeys, privateMember, publicMember } from './keys.mjs'

export const VECTORS_DIR = join(import.meta.dirname, '..', '..')
const CASES_DIR = join(import.meta.dirname, '..', 'cases')
const SCHEMA_REF = './schema/vector-file.schema.json'
const NON_VECTOR_FILES = new Set(['package.json', 'tsconfig.json'])

/** @type {Record<string, string>} */
const DEFAULT_KEY = {
  RS256: 'test-rsa-a',
  RS384: 'test-rsa-a',
  RS512: 'test-rsa-a',
  PS256: 'test-rsa-a',
  PS384: 'test-rsa-a',
  PS512: 'test-rsa-a',
  ES256: 'test-ec-p256-a',
  ES384: 'test-ec-p384',
  ES512: 'test-ec-p521',
  EdDSA: 'test-ed25519',
}

/** The committed vector files, by file name (`algorithms.json` → its text). */
export function readCommittedVectorFiles() {
  /** @type {Map<string, string>} */
  const files = new Map()
  for (const name of readdirSync(VECTORS_DIR).filter((file) => file.endsWith('.json') && !NON_VECTOR_FILES.has(file))) {
    files.set(name, readFileSync(join(VECTORS_DIR, name), 'utf8'))
  }
  return files
}

/** @param {unknown} value @param {string[]} into */
function collectStrings(value, into) {
  if (typeof value === 'string') into.push(value)
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, into)
  else if (value && typeof value === 'object') for (const item of Object.values(value)) collectStrings(item, into)
  return into
}

/** @param {Iterable<string>} texts */
function stringsOf(texts) {
  /** @type {string[]} */
  const strings = []
  for (const text of texts) {
    try {
      collectStrings(JSON.parse(text), strings)
    } catch {
      // An unreadable committed file only means its signatures cannot be reused.
    }
  }
  return strings
}

/** The case modules, each `export default (context) => ({ description, vectors })`, by output file stem. */
export async function loadCaseModules() {
  const modules = []
  for (const file of readdirSync(CASES_DIR).filter((name) => name.endsWith('.mjs')).sort()) {
    const module = await import(join(CASES_DIR, file))
    modules.push({ stem: basename(file, '.mjs'), build: /** @type {(context: CaseContext) => import('./dsl.mjs').VectorFileSpec} */ (module.default) })
  }
  return modules
}

/**
 * @typedef {object} CaseContext
 * @property {(name: string, extra?: Record<string, unknown>) => Record<string, unknown>} member public key-set member of a test key
 * @property {(name: string) => Record<string, unknown>} privateMember the private JWK of a test key
 * @property {() => { keys: Record<string, unknown>[] }} defaultJwks the key set most vectors are served
 * @property {(name: string) => string} publicKeyPem SPKI PEM of a test key (for HMAC-confusion forgeries)
 */

/**
 * Builds every vector file. `committed` (file name → text) supplies the randomized signatures to reuse.
 * @param {Map<string, string>} committed
 * @returns {Promise<{ files: Map<string, string>, freshSignatures: number }>}
 */
export async function buildVectorFiles(committed) {
  const keys = loadKeys()
  const signer = new Signer(keys, stringsOf(committed.values()))
  const defaultMembers = ['test-rsa-a', 'test-ec-p256-a', 'test-ec-p384', 'test-ec-p521', 'test-ed25519']
  /** @type {CaseContext} */
  const context = {
    member: (name, extra) => publicMember(keys, name, extra),
    privateMember: (name) => privateMember(keys, name),
    defaultJwks: () => ({ keys: defaultMembers.map((name) => publicMember(keys, name)) }),
    publicKeyPem: (name) => /** @type {string} */ (signer.key(name).publicKey.export({ type: 'spki', format: 'pem' })),
  }

  /** @type {Map<string, string>} */
  const files = new Map()
  const ids = new Set()
  for (const { stem, build } of await loadCaseModules()) {
    const spec = build(context)
    const vectors = spec.vectors.map((vector) => {
      const id = `${stem}/${vector.slug}`
      if (ids.has(id)) throw new Error(`duplicate vector id ${id}`)
      ids.add(id)
      try {
        return buildVector(id, vector, context, signer)
      } catch (error) {
        throw new Error(`${id}: ${/** @type {Error} */ (error).message}`, { cause: error })
      }
    })
    files.set(`${stem}.json`, JSON.stringify({ $schema: SCHEMA_REF, description: spec.description, vectors }, null, 2) + '\n')
  }

  // Every randomized signature must be recoverable from the output, or the next run would differ.
  const check = new Signer(keys, stringsOf(files.values()))
  for (const { alg, keyName, input, signature } of signer.randomized) {
    const recovered = check.reuse(alg, signer.key(keyName), input)
    if (!recovered || b64u(recovered) !== signature) throw new Error(`a ${alg} signature is not recoverable from the output; add a vector that carries it unmodified`)
  }
  return { files, freshSignatures: signer.freshSignatures }
}

/**
 * @param {string} id
 * @param {import('./dsl.mjs').VectorSpec} vector
 * @param {CaseContext} context
 * @param {Signer} signer
 */
function buildVector(id, vector, context, signer) {
  const config = /** @type {Record<string, string>} */ (amend(BASE_CONFIG, vector.config))
  for (const [name, value] of Object.entries(config)) if (typeof value !== 'string') throw new Error(`config ${name} is not a string`)
  /** @type {Array<Record<string, unknown> | undefined>} */
  const payloads = []
  /** @type {Array<Record<string, unknown> | undefined>} */
  const headers = []
  /** @type {Array<ReturnType<typeof buildToken>>} */
  const tokens = []
  /** @param {import('./dsl.mjs').Value} value @returns {string} */
  const resolve = (value) => {
    if (typeof value === 'string') return value
    if ('$join' in value) return value.$join.map(resolve).join('')
    const built = buildToken(value.$token, signer)
    payloads.push(built.payload)
    headers.push(built.header)
    tokens.push(built)
    return built.token
  }

  /** @type {Record<string, unknown>} */
  const result = { id, description: vector.description, config }
  if (vector.jwks !== null) result['jwks'] = vector.jwks ?? context.defaultJwks()
  result['now'] = vector.now ?? NOW
  if (vector.token !== undefined) result['token'] = resolve(vector.token)
  if (vector.request) {
    /** @type {Record<string, unknown>} */
    const request = { headers: vector.request.headers.map(([name, value]) => [name, resolve(value)]) }
    if (vector.request.remoteAddress !== undefined) request['remoteAddress'] = vector.request.remoteAddress
    if (/** @type {unknown[]} */ (request['headers']).length === 0) throw new Error('give a request at least one header (the CLI needs one --header)')
    result['request'] = request
  }

  const expect = vector.expect
  if (expect.kind === 'error') result['expected'] = errorOutcome(expect.code, expect.detail)
  else if (expect.kind === 'null') result['expected'] = { identity: null }
  else {
    if (payloads.length !== 1 || !payloads[0]) throw new Error('an accepted vector needs exactly one token with a JSON payload')
    // An independent check of the generator itself: what a vector accepts must really verify.
    if (!tokens[0]?.signatureVerifies()) throw new Error('an accepted vector whose token signature does not verify with its key')
    const identity = identityFor(payloads[0], config, headers[0])
    for (const [field, value] of Object.entries(expect.check)) {
      const actual = /** @type {Record<string, unknown>} */ (identity)[field]
      if (!isDeepStrictEqual(actual, value)) throw new Error(`identity.${field} is ${JSON.stringify(actual)}, the case pins ${JSON.stringify(value)}`)
    }
    result['expected'] = { identity }
  }
  return result
}

/**
 * @param {import('./dsl.mjs').TokenSpec} spec
 * @param {Signer} signer
 */
export function buildToken(spec, signer) {
  const alg = spec.alg ?? 'RS256'
  const signAlg = spec.signAlg ?? (ALGORITHMS[alg] ? alg : 'RS256')
  const keyName = spec.key ?? DEFAULT_KEY[signAlg]
  if (!keyName) throw new Error(`no default key for ${signAlg}`)
  const kid = spec.kid === undefined ? keyName : spec.kid

  /** @type {Record<string, unknown>} */
  const baseHeader = { alg }
  if (kid !== null) baseHeader['kid'] = kid
  baseHeader['typ'] = 'JWT'
  const headerBytes = spec.headerJson !== undefined ? Buffer.from(spec.headerJson) : Buffer.from(JSON.stringify(amend(baseHeader, spec.header)))
  /** @type {Record<string, unknown> | undefined} */
  let header
  try {
    header = JSON.parse(headerBytes.toString('utf8'))
  } catch {
    header = undefined
  }

  /** @type {Record<string, unknown> | undefined} */
  let payload
  let payloadBytes
  if (spec.payloadJson !== undefined) {
    payloadBytes = Buffer.from(spec.payloadJson)
    try {
      payload = JSON.parse(payloadBytes.toString('utf8'))
    } catch {
      payload = undefined
    }
  } else {
    payload = claims(spec.claims)
    if (spec.padTo !== undefined) payload = padClaims(payload, spec.padTo, headerBytes, signer.signatureLength(signAlg, keyName))
    payloadBytes = Buffer.from(JSON.stringify(payload))
  }

  // AWS ALB pads its segments and signs the padded text.
  const encodeSegment = (/** @type {Uint8Array} */ bytes) => (spec.padded ? Buffer.from(bytes).toString('base64').replaceAll('+', '-').replaceAll('/', '_') : b64u(bytes))
  const signingInput = `${encodeSegment(headerBytes)}.${encodeSegment(payloadBytes)}`
  const signature = spec.hmacSecret !== undefined ? signer.hmac(spec.hmacSecret, signingInput) : signer.sign(signAlg, keyName, signingInput)
  const edited = spec.signature ? spec.signature(Buffer.from(signature), signAlg) : signature
  const token = `${signingInput}.${typeof edited === 'string' ? edited : encodeSegment(edited)}`
  const final = spec.edit ? spec.edit(token) : token
  const signatureVerifies = () => {
    const [headerSegment, body, signatureSegment] = final.split('.')
    const input = `${headerSegment}.${body}`
    const received = Buffer.from(signatureSegment ?? '', 'base64url')
    if (spec.hmacSecret !== undefined) return received.equals(signer.hmac(spec.hmacSecret, input))
    return verifies(signAlg, signer.key(keyName), input, received)
  }
  return { token: final, header, payload, signatureVerifies }
}

/**
 * The claims plus a `pad` claim sized so that the whole token is `length` bytes.
 * @param {Record<string, unknown>} payload
 * @param {number} length
 * @param {Buffer} headerBytes
 * @param {number} signatureBytes
 */
function padClaims(payload, length, headerBytes, signatureBytes) {
  const fixed = b64u(headerBytes).length + 2 + b64u(Buffer.alloc(signatureBytes)).length
  for (let size = 0; size <= length; size++) {
    const padded = { ...payload, pad: 'x'.repeat(size) }
    const total = fixed + b64u(JSON.stringify(padded)).length
    if (total === length) return padded
    if (total > length) break
  }
  throw new Error(`no pad gives a token of exactly ${length} bytes (base64url lengths skip 1 mod 4); pick a neighbour`)
}
