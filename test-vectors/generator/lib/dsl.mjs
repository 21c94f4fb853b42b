// The small declarative language the case files are written in. See ../../README.md.

export const NOW = 1_700_000_000
export const ISSUER = 'https://proxy.test.example'
export const AUDIENCE = 'app-under-test'
export const ASSERTION_HEADER = 'X-Test-Assertion'

/** The configuration every vector starts from; a vector's `config` entries replace these, undefined removes. */
export const BASE_CONFIG = Object.freeze({
  TRUSTED_PROXY_ASSERTION_HEADER: ASSERTION_HEADER,
  TRUSTED_PROXY_ISSUER: ISSUER,
  TRUSTED_PROXY_AUDIENCE: AUDIENCE,
})

/** The claims of a plain, valid assertion at NOW. */
export const BASE_CLAIMS = Object.freeze({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-123',
  email: 'alice@example.com',
  email_verified: true,
  name: 'Alice Example',
  groups: ['staff'],
  iat: NOW - 10,
  nbf: NOW - 10,
  exp: NOW + 300,
})

/**
 * Copies `base` with `changes` applied in place: a changed member keeps its position, a new one is
 * appended, an undefined one is removed. Plain assignment, so never pass `__proto__` here (use raw JSON).
 * @template {Record<string, unknown>} T
 * @param {T} base
 * @param {Record<string, unknown>} [changes]
 * @returns {Record<string, unknown>}
 */
export function amend(base, changes = {}) {
  /** @type {Record<string, unknown>} */
  const result = { ...base }
  for (const [name, value] of Object.entries(changes)) {
    if (name === '__proto__') throw new Error('use payloadJson for __proto__ members')
    if (value === undefined) delete result[name]
    else result[name] = value
  }
  return result
}

/** @param {Record<string, unknown>} [changes] */
export const claims = (changes) => amend(BASE_CLAIMS, changes)

/**
 * @typedef {object} TokenSpec
 * @property {string} [alg] the header `alg` (default RS256); also the signing algorithm when it is one
 * @property {string} [signAlg] the algorithm actually used to sign (default: alg, or RS256 when alg is not signable)
 * @property {string} [key] signing key name (default: the usual key of signAlg)
 * @property {string | null} [kid] header `kid` (default: the key name; null: no kid)
 * @property {Record<string, unknown>} [header] changes to the header {alg, kid, typ: "JWT"}
 * @property {string | Uint8Array} [headerJson] the exact header bytes instead
 * @property {Record<string, unknown>} [claims] changes to BASE_CLAIMS
 * @property {string | Uint8Array} [payloadJson] the exact payload bytes instead
 * @property {string} [hmacSecret] sign with HMAC-SHA256 under this secret instead of a key
 * @property {(signature: Buffer, alg: string) => Buffer | string} [signature] edits the signature (a string is the segment text)
 * @property {(token: string) => string} [edit] a final byte edit of the assembled token
 * @property {number} [padTo] adds a claim `pad` of "x"s so that the token is exactly this many bytes long
 * @property {boolean} [padded] pads every segment with the `=` of standard base64 and signs the padded text (AWS ALB)
 */

/** @typedef {{ $token: TokenSpec }} TokenRef */
/** @typedef {{ $join: Array<string | TokenRef> }} JoinRef */
/** @typedef {string | TokenRef | JoinRef} Value */

/** @param {TokenSpec} [spec] @returns {TokenRef} */
export const token = (spec = {}) => ({ $token: spec })

/** Concatenates strings and tokens, e.g. `join('Bearer ', token())`. @param {Array<string | TokenRef>} parts @returns {JoinRef} */
export const join = (...parts) => ({ $join: parts })

/**
 * @typedef {{ kind: 'identity', check: Record<string, unknown> } | { kind: 'null' } | { kind: 'error', code: string, detail?: string }} Expectation
 */

/** The identity the contract's mapping gives for the assertion's payload; `check` pins some fields by hand too. */
export const ok = (/** @type {Record<string, unknown>} */ check = {}) => /** @type {Expectation} */ ({ kind: 'identity', check })
/** verifyRequest answers null (mode optional, no assertion). */
export const none = () => /** @type {Expectation} */ ({ kind: 'null' })
/**
 * The vector is rejected with `code`; `detail` pins the error's non-secret detail exactly (contract/errors.json
 * `detail`), which every runner then compares too.
 */
export const fail = (/** @type {string} */ code, /** @type {string | undefined} */ detail = undefined) =>
  /** @type {Expectation} */ (detail === undefined ? { kind: 'error', code } : { kind: 'error', code, detail })

/**
 * @typedef {object} VectorSpec
 * @property {string} slug
 * @property {string} description
 * @property {Record<string, string | undefined>} [config] changes to BASE_CONFIG
 * @property {object | null} [jwks] what the key endpoint answers (default: the default key set; null: no endpoint)
 * @property {number} [now]
 * @property {Value} [token]
 * @property {{ headers: Array<[string, Value]>, remoteAddress?: string | null }} [request]
 * @property {Expectation} expect
 */

/** @typedef {{ description: string, vectors: VectorSpec[] }} VectorFileSpec */
