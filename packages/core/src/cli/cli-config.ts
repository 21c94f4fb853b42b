import { loadConfig, type EnvInput, type LoadConfigBehaviour, type TrustedProxyAuthConfig, type TrustedProxyAuthOptions } from '../config.js'
import { TrustedProxyAuthError } from '../errors.js'

const ASSERTION_HEADER = 'TRUSTED_PROXY_ASSERTION_HEADER'
/** Stands in for the header name when a bare token is verified: the header is never read then. */
const BARE_TOKEN_HEADER = 'X-Identity-Assertion'

/**
 * loadConfig for the command line. `bareToken`: the token is given directly, so a missing
 * TRUSTED_PROXY_ASSERTION_HEADER is not a problem (every other problem still is).
 */
export function loadCliConfig(env: EnvInput, overrides: TrustedProxyAuthOptions, behaviour: LoadConfigBehaviour, bareToken: boolean): TrustedProxyAuthConfig {
  try {
    return loadConfig(env, overrides, behaviour)
  } catch (error) {
    if (!bareToken || !(error instanceof TrustedProxyAuthError) || error.code !== 'invalid_config') throw error
    const problems = (error.problems ?? []).filter((problem) => !(problem.variable === ASSERTION_HEADER && problem.message === 'is required'))
    if (problems.length === (error.problems ?? []).length) throw error
    if (problems.length > 0) throw new TrustedProxyAuthError('invalid_config', { problems })
    return loadConfig(env, { ...overrides, assertionHeader: BARE_TOKEN_HEADER }, behaviour)
  }
}
