/** Header name `proxyHeaders` and `envFor` agree on when none is given. */
export const DEFAULT_ASSERTION_HEADER = 'X-Test-Assertion'

export interface ProxyHeadersOptions {
  /** Header carrying the assertion. Default `X-Test-Assertion`. For `Authorization` the value becomes `Bearer <token>`. */
  header?: string
  /** Other headers the proxy adds, e.g. `{ 'X-Forwarded-Proto': 'https' }`. */
  extra?: Readonly<Record<string, string>>
}

/** `{ authorization: 'Bearer <token>' }` */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

/** The headers an identity-aware proxy would forward with a request: the assertion plus `extra`. */
export function proxyHeaders(token: string, options: ProxyHeadersOptions = {}): Record<string, string> {
  const header = options.header ?? DEFAULT_ASSERTION_HEADER
  const value = header.toLowerCase() === 'authorization' ? `Bearer ${token}` : token
  return { ...options.extra, [header]: value }
}

/** What `envFor` needs to know about an issuer; a `TestIssuer`, a `RunningTestIssuer` or a plain object. */
export interface EnvSource {
  readonly issuer: string
  readonly audience: string | readonly string[]
  readonly jwksUrl: string
}

/**
 * A `TRUSTED_PROXY_*` environment for `loadConfig` that trusts `source`: assertion header
 * (`X-Test-Assertion`), JWKS URL, issuer and audience. `overrides` win; an override set to `undefined`
 * removes that variable (to test a missing setting).
 */
export function envFor(source: EnvSource, overrides: Readonly<Record<string, string | undefined>> = {}): Record<string, string> {
  const audience = typeof source.audience === 'string' ? source.audience : source.audience.join(',')
  const merged: Record<string, string | undefined> = {
    TRUSTED_PROXY_ASSERTION_HEADER: DEFAULT_ASSERTION_HEADER,
    TRUSTED_PROXY_JWKS_URL: source.jwksUrl,
    TRUSTED_PROXY_ISSUER: source.issuer,
    TRUSTED_PROXY_AUDIENCE: audience,
    ...overrides,
  }
  return Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined))
}
