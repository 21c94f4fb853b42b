import {
  createVerifierFromEnv,
  TrustedProxyAuthError,
  type EnvInput,
  type EventListener,
  type TrustedProxyAuthOptions,
  type Verifier,
} from '@mieweb/trusted-proxy-auth'

/** Settings every adapter accepts besides the core options. */
export interface VerifierSource {
  /** A verifier built elsewhere (shared between apps, or with test dependencies); no other setting may be given then. */
  verifier?: Verifier
  /** Where TRUSTED_PROXY_* variables are read from. Default `process.env`. */
  env?: EnvInput
  /** Receives key-set and verification events for logs and metrics; events never carry the assertion. */
  onEvent?: EventListener
}

/**
 * The verifier the options describe. Adapter-only keys are removed first because the core refuses
 * unknown options, which is what catches a misspelt setting at start-up.
 */
export function verifierFromAdapterOptions(options: TrustedProxyAuthOptions & VerifierSource, adapterKeys: readonly string[]): Verifier {
  const settings: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) {
    if (!adapterKeys.includes(key) && key !== 'verifier' && key !== 'env' && key !== 'onEvent') settings[key] = value
  }
  if (options.verifier) {
    const conflicting = Object.keys(settings).filter((key) => settings[key] !== undefined)
    if (conflicting.length > 0 || options.env !== undefined || options.onEvent !== undefined) {
      throw new TrustedProxyAuthError('invalid_config', {
        problems: [{ variable: 'verifier', message: 'cannot be combined with settings, env or onEvent: configure the verifier itself' }],
      })
    }
    return options.verifier
  }
  return createVerifierFromEnv(settings, options.env, options.onEvent ? { onEvent: options.onEvent } : {})
}
