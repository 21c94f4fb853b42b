import type { EnvInput, TrustedProxyAuthOptions } from './config.js'
import { TrustedProxyAuthError } from './errors.js'
import type { EventListener } from './events.js'
import { loadConfig } from './config.js'
import type { Logger } from './logger.js'
import { acquireVerifier } from './shared-verifiers.js'
import { defaultEnrollmentOperations } from './enrollment/page/default-operations.js'
import { createEnrollmentPage, type EnrollmentPage, type EnrollmentSettings } from './enrollment/page/enrollment-page.js'
import { ENV_CONTRACT } from './generated/contract.js'
import type { Verifier } from './verifier.js'

/** Settings every adapter accepts besides the core options. */
export interface VerifierSource {
  /** A verifier built elsewhere (shared between apps, or with test dependencies); no other setting may be given then. */
  verifier?: Verifier
  /** Where TRUSTED_PROXY_* variables are read from. Default `process.env`. */
  env?: EnvInput
  /** Receives key-set and verification events for logs and metrics; events never carry the assertion. */
  onEvent?: EventListener
  /** Receives the library's log lines (start-up configuration, warnings, key loads, rejections at debug). */
  logger?: Logger
  /**
   * Mounts the one-click enrollment page (`true` for the defaults): until an administrator enrolls through it,
   * protected routes answer 503 `not_enrolled` and the one-time enrollment code is logged; after "Trust this
   * proxy" they verify with the enrolled settings, without a restart. Needs TRUSTED_PROXY_ENROLLMENT_FILE or `file`.
   */
  enrollment?: boolean | EnrollmentSettings
}

const SOURCE_KEYS: readonly string[] = ['verifier', 'env', 'onEvent', 'logger', 'enrollment']

/**
 * The verifier the options describe: the one shared by every adapter call with the same effective
 * configuration and hooks (see shared-verifiers.ts), so per-route middleware costs one key fetch. Adapter-only keys are removed first because the core refuses
 * unknown options, which is what catches a misspelt setting at start-up.
 */
export function verifierFromAdapterOptions(options: TrustedProxyAuthOptions & VerifierSource & object, adapterKeys: readonly string[]): Verifier {
  return authenticationFromAdapterOptions(options, adapterKeys).verifier
}

/** What an adapter mounts: the verifier for protected routes and, with the `enrollment` option, the page. */
export interface AdapterAuthentication {
  readonly verifier: Verifier
  /** Present with the `enrollment` option; its `verifier` is the one above. */
  readonly enrollment: EnrollmentPage | null
}

/**
 * verifierFromAdapterOptions plus the enrollment page: with `enrollment`, the verifier is enrollment-aware
 * (not_enrolled until enrolled, then the record's settings under env and code options) and not shared.
 * @throws TrustedProxyAuthError `invalid_config` for unknown options, `enrollment` with `verifier`, or no record path.
 */
export function authenticationFromAdapterOptions(options: TrustedProxyAuthOptions & VerifierSource & object, adapterKeys: readonly string[]): AdapterAuthentication {
  if (!options.enrollment) return { verifier: verifierWithoutEnrollment(options, adapterKeys), enrollment: null }
  const settings = adapterSettings(options, adapterKeys)
  const knownOptions = new Set<string>(ENV_CONTRACT.variables.map((variable) => variable.option))
  const problems = [
    ...(options.verifier ? [{ variable: 'enrollment', message: 'cannot be combined with verifier: the enrollment page builds its own' }] : []),
    ...Object.keys(settings)
      .filter((key) => settings[key] !== undefined && !knownOptions.has(key))
      .map((key) => ({ variable: key, message: 'is not a known option' })),
  ]
  if (problems.length > 0) throw new TrustedProxyAuthError('invalid_config', { problems })
  const page = createEnrollmentPage({
    ...(options.enrollment === true ? {} : options.enrollment),
    env: options.env ?? globalThis.process?.env ?? {},
    overrides: settings as TrustedProxyAuthOptions,
    ...(options.logger ? { logger: options.logger } : {}),
    dependencies: options.onEvent ? { onEvent: options.onEvent } : {},
    operations: defaultEnrollmentOperations,
  })
  return { verifier: page.verifier, enrollment: page }
}

function adapterSettings(options: object, adapterKeys: readonly string[]): Record<string, unknown> {
  const settings: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options as Record<string, unknown>)) {
    if (!adapterKeys.includes(key) && !SOURCE_KEYS.includes(key)) settings[key] = value
  }
  return settings
}

function verifierWithoutEnrollment(options: TrustedProxyAuthOptions & VerifierSource & object, adapterKeys: readonly string[]): Verifier {
  const settings = adapterSettings(options, adapterKeys)
  if (options.verifier) {
    const conflicting = Object.keys(settings).filter((key) => settings[key] !== undefined)
    if (conflicting.length > 0 || options.env !== undefined || options.onEvent !== undefined || options.logger !== undefined) {
      throw new TrustedProxyAuthError('invalid_config', {
        problems: [{ variable: 'verifier', message: 'cannot be combined with settings, env, onEvent or logger: configure the verifier itself' }],
      })
    }
    return options.verifier
  }
  const config = loadConfig(options.env ?? globalThis.process?.env ?? {}, settings)
  return acquireVerifier(config, { ...(options.onEvent ? { onEvent: options.onEvent } : {}), ...(options.logger ? { logger: options.logger } : {}) })
}
