import type { EnvInput, TrustedProxyAuthOptions } from './config.js'
import { TrustedProxyAuthError } from './errors.js'
import type { EventListener } from './events.js'
import { loadConfig } from './config.js'
import type { Logger } from './logger.js'
import { acquireVerifier } from './shared-verifiers.js'
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
}

const SOURCE_KEYS: readonly string[] = ['verifier', 'env', 'onEvent', 'logger']

/**
 * The verifier the options describe: the one shared by every adapter call with the same effective
 * configuration and hooks (see shared-verifiers.ts), so per-route middleware costs one key fetch. Adapter-only keys are removed first because the core refuses
 * unknown options, which is what catches a misspelt setting at start-up.
 */
export function verifierFromAdapterOptions(options: TrustedProxyAuthOptions & VerifierSource & object, adapterKeys: readonly string[]): Verifier {
  const settings: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options as Record<string, unknown>)) {
    if (!adapterKeys.includes(key) && !SOURCE_KEYS.includes(key)) settings[key] = value
  }
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
