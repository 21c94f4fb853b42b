import { exportJWK, type CryptoKey, type JWK } from 'jose'
import { assertTestAlgorithm, generateTestKeyPair, isTestAlgorithm, type TestAlgorithm } from './algorithms.js'
import { signCompactJws, type JwsPart } from './compact-jws.js'

export const DEFAULT_TEST_ISSUER = 'https://issuer.test'
export const DEFAULT_TEST_AUDIENCE = 'https://app.test'
export const DEFAULT_TEST_SUBJECT = 'test-user'
/** Seconds a token signed with default options stays valid. */
export const DEFAULT_EXPIRES_IN = 300

export interface TestIssuerOptions {
  /** Algorithms to create keys for; the first one signs by default. Default `['ES256']`. */
  algorithms?: readonly TestAlgorithm[]
  /** `iss` of every token. Default `https://issuer.test`. */
  issuer?: string
  /** `aud` of every token: a string stays a string, an array stays an array. Default `https://app.test`. */
  audience?: string | readonly string[]
  /** `sub` of every token. Default `test-user`. */
  subject?: string
  /** Key pairs created per algorithm at start; the newest one of the first algorithm is current. Default 1. */
  keyCount?: number
  /** Start of every generated `kid` (`<prefix><alg>-<n>`, e.g. `test-es256-1`). Default `test-`. */
  kidPrefix?: string
  /** Where the key set is published. Default `<issuer>/.well-known/jwks.json` (or under https://issuer.test when the issuer is not an http(s) URL). */
  jwksUrl?: string
  /** Claims added to every token, before the claims given to `sign`. */
  defaultClaims?: Readonly<Record<string, unknown>>
  /** RSA modulus length for RS and PS keys. Default 2048; smaller values make deliberately weak keys. */
  rsaModulusLength?: number
}

export interface SignOptions {
  /** The clock, in unix seconds. Default: the current time (which vitest fake timers control). */
  now?: number
  /** Seconds from `now` until `exp`. Default 300. */
  expiresIn?: number
  /** `iat`, in unix seconds. Default `now`. */
  issuedAt?: number
  /** `nbf`, in unix seconds. Default: no `nbf`. */
  notBefore?: number
  /** Sign with this key, even a revoked one (to show that revoked keys stop verifying). */
  kid?: string
  /** Sign with the newest unrevoked key of this algorithm. */
  alg?: TestAlgorithm
  /**
   * Members written over the default protected header `{ alg, kid, typ: 'JWT' }`; a member set to
   * `undefined` is left out. Written as given: `header: { alg: 'RS384' }` still carries the chosen
   * key's real signature, which is how alg-confusion tests are built.
   */
  header?: Readonly<Record<string, unknown>>
}

export interface SignRawOptions {
  kid?: string
  alg?: TestAlgorithm
}

export interface TestKeyInfo {
  readonly kid: string
  readonly alg: TestAlgorithm
  /** Signs when `sign` is called without `kid` or `alg`. */
  readonly current: boolean
  /** Revoked keys are no longer published but can still sign on request. */
  readonly revoked: boolean
  /** The published JWKS member: public parameters plus `kid`, `alg` and `use: 'sig'`. */
  readonly publicJwk: JWK
  readonly publicKey: CryptoKey
  readonly privateKey: CryptoKey
}

export interface JsonWebKeySet {
  keys: JWK[]
}

export interface TestIssuer {
  readonly issuer: string
  readonly audience: string | readonly string[]
  readonly subject: string
  readonly jwksUrl: string
  /** `<issuer>/.well-known/openid-configuration`, next to the default JWKS URL. */
  readonly discoveryUrl: string
  /** `kid` of the key that signs by default. */
  readonly currentKid: string
  /** Every key ever created, oldest first. */
  readonly keys: readonly TestKeyInfo[]
  /** The algorithms of the keys held, in the order they were first used. */
  readonly algorithms: readonly TestAlgorithm[]
  /** A signed JWT with default `iss`, `aud`, `sub`, `iat` and `exp` (now + 300 s); `claims` win, and a claim set to `undefined` is left out. */
  sign(claims?: Readonly<Record<string, unknown>>, options?: SignOptions): Promise<string>
  /** The payload `sign` would sign, without signing it (to hand to `signRaw`). */
  claims(claims?: Readonly<Record<string, unknown>>, options?: Pick<SignOptions, 'now' | 'expiresIn' | 'issuedAt' | 'notBefore'>): Record<string, unknown>
  /**
   * Signs exactly this header and payload (objects are JSON-serialized, strings used byte for byte)
   * with no validation, for malformed-token tests. The key is the one named by `options.kid`, else the
   * newest of `options.alg`, else the one named by the header's `kid`, else the newest of the header's
   * `alg`, else the current key. The signature is real and made with that key's own algorithm.
   */
  signRaw(header: JwsPart, payload: JwsPart, options?: SignRawOptions): Promise<string>
  /** The public key set: every unrevoked key, oldest first; a fresh copy on every call. */
  jwks(): JsonWebKeySet
  /** An OpenID Provider metadata document pointing at `jwksUri` (default: this issuer's `jwksUrl`). */
  openIdConfiguration(jwksUri?: string): Record<string, unknown>
  /** Adds a new key (default: the current key's algorithm), makes it current and returns its `kid`. Old keys stay published until revoked. */
  rotate(options?: { alg?: TestAlgorithm }): Promise<string>
  /** Stops publishing a key. When it was current, the newest unrevoked key becomes current. */
  revoke(kid: string): void
  /** The private key as a JWK (with `kid` and `alg`), for tests that need a key set leaking private parts. */
  privateJwk(kid: string): Promise<JWK>
}

interface HeldKey {
  kid: string
  alg: TestAlgorithm
  revoked: boolean
  publicJwk: JWK
  publicKey: CryptoKey
  privateKey: CryptoKey
}

const nowInSeconds = (): number => Math.floor(Date.now() / 1000)

function defaultJwksBase(issuer: string): string {
  return /^https?:\/\//i.test(issuer) ? issuer.replace(/\/+$/, '') : DEFAULT_TEST_ISSUER
}

function withoutUndefined(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))
}

/** Creates an issuer with fresh key pairs; keys never leave the process and are never written anywhere. */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const algorithms = [...(options.algorithms ?? ['ES256'])]
  if (algorithms.length === 0) throw new TypeError('createTestIssuer needs at least one algorithm')
  algorithms.forEach(assertTestAlgorithm)
  const keyCount = options.keyCount ?? 1
  if (!Number.isInteger(keyCount) || keyCount < 1) throw new TypeError('keyCount must be a positive integer')

  const issuer = options.issuer ?? DEFAULT_TEST_ISSUER
  const audience = typeof options.audience === 'string' ? options.audience : options.audience ? [...options.audience] : DEFAULT_TEST_AUDIENCE
  const subject = options.subject ?? DEFAULT_TEST_SUBJECT
  const kidPrefix = options.kidPrefix ?? 'test-'
  const base = defaultJwksBase(issuer)
  const jwksUrl = options.jwksUrl ?? `${base}/.well-known/jwks.json`
  const discoveryUrl = `${base}/.well-known/openid-configuration`
  const defaultClaims = { ...options.defaultClaims }

  const held: HeldKey[] = []
  const serialByAlg = new Map<TestAlgorithm, number>()
  let current: HeldKey | undefined

  async function addKey(alg: TestAlgorithm): Promise<HeldKey> {
    // The kid is reserved before the await so concurrent rotations never share one.
    const serial = (serialByAlg.get(alg) ?? 0) + 1
    serialByAlg.set(alg, serial)
    const kid = `${kidPrefix}${alg.toLowerCase()}-${serial}`
    const pair = await generateTestKeyPair(alg, options.rsaModulusLength)
    const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' }
    const key: HeldKey = { kid, alg, revoked: false, publicJwk, ...pair }
    held.push(key)
    return key
  }

  const findKey = (kid: string): HeldKey | undefined => held.find((key) => key.kid === kid)

  function requireKey(kid: string): HeldKey {
    const key = findKey(kid)
    if (!key) throw new Error(`test issuer has no key with kid ${JSON.stringify(kid)}`)
    return key
  }

  function newestOf(alg: TestAlgorithm): HeldKey | undefined {
    const unrevoked = held.filter((key) => key.alg === alg && !key.revoked)
    return unrevoked.at(-1)
  }

  function requireNewestOf(alg: TestAlgorithm): HeldKey {
    const key = newestOf(alg)
    if (!key) throw new Error(`test issuer has no unrevoked ${alg} key; call rotate({ alg: '${alg}' }) or pass a kid`)
    return key
  }

  function requireCurrent(): HeldKey {
    if (!current) throw new Error('test issuer has no keys')
    return current
  }

  function buildClaims(claims: Readonly<Record<string, unknown>> = {}, signOptions: SignOptions = {}): Record<string, unknown> {
    const now = signOptions.now ?? nowInSeconds()
    return withoutUndefined({
      iss: issuer,
      aud: audience,
      sub: subject,
      iat: signOptions.issuedAt ?? now,
      ...(signOptions.notBefore === undefined ? {} : { nbf: signOptions.notBefore }),
      exp: now + (signOptions.expiresIn ?? DEFAULT_EXPIRES_IN),
      ...defaultClaims,
      ...claims,
    })
  }

  function selectForRaw(header: JwsPart, rawOptions: SignRawOptions): HeldKey {
    if (rawOptions.kid !== undefined) return requireKey(rawOptions.kid)
    if (rawOptions.alg !== undefined) return requireNewestOf(rawOptions.alg)
    if (typeof header !== 'string') {
      const named = typeof header.kid === 'string' ? findKey(header.kid) : undefined
      if (named) return named
      if (isTestAlgorithm(header.alg) && held.some((key) => key.alg === header.alg)) return requireNewestOf(header.alg)
    }
    return requireCurrent()
  }

  for (const alg of algorithms) {
    for (let index = 0; index < keyCount; index += 1) await addKey(alg)
  }
  current = newestOf(algorithms[0] as TestAlgorithm)

  const testIssuer: TestIssuer = {
    issuer,
    audience,
    subject,
    jwksUrl,
    discoveryUrl,
    get currentKid() {
      return requireCurrent().kid
    },
    get keys() {
      return held.map((key) =>
        Object.freeze({
          kid: key.kid,
          alg: key.alg,
          current: key === current,
          revoked: key.revoked,
          publicJwk: { ...key.publicJwk },
          publicKey: key.publicKey,
          privateKey: key.privateKey,
        }),
      )
    },
    get algorithms() {
      return [...new Set(held.map((key) => key.alg))]
    },
    async sign(claims, signOptions = {}) {
      const key = signOptions.kid !== undefined ? requireKey(signOptions.kid) : signOptions.alg !== undefined ? requireNewestOf(signOptions.alg) : requireCurrent()
      const header = withoutUndefined({ alg: key.alg, kid: key.kid, typ: 'JWT', ...signOptions.header })
      return signCompactJws(key.privateKey, key.alg, header, buildClaims(claims, signOptions))
    },
    claims: buildClaims,
    async signRaw(header, payload, rawOptions = {}) {
      const key = selectForRaw(header, rawOptions)
      return signCompactJws(key.privateKey, key.alg, header, payload)
    },
    jwks() {
      return { keys: held.filter((key) => !key.revoked).map((key) => ({ ...key.publicJwk })) }
    },
    openIdConfiguration(jwksUri = jwksUrl) {
      return {
        issuer,
        jwks_uri: jwksUri,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [...new Set(held.filter((key) => !key.revoked).map((key) => key.alg))],
      }
    },
    async rotate(rotateOptions = {}) {
      const alg = rotateOptions.alg ?? requireCurrent().alg
      assertTestAlgorithm(alg)
      const key = await addKey(alg)
      current = key
      return key.kid
    },
    revoke(kid) {
      const key = requireKey(kid)
      key.revoked = true
      if (key === current) {
        // Prefer a key of the same algorithm so a test's default signing algorithm stays put.
        current = newestOf(key.alg) ?? held.filter((candidate) => !candidate.revoked).at(-1) ?? key
      }
    },
    async privateJwk(kid) {
      const key = requireKey(kid)
      return { ...(await exportJWK(key.privateKey)), kid: key.kid, alg: key.alg }
    },
  }
  return testIssuer
}
