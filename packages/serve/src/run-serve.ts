import type { AddressInfo } from 'node:net'
import {
  authenticationFromAdapterOptions,
  createVerifier,
  ENV_CONTRACT,
  isTrustedProxyAuthError,
  loadConfig,
  TrustedProxyAuthError,
  type EnrollmentPage,
  type EnrollmentSettings,
  type TrustedProxyAuthEvent,
  type TrustedProxyAuthOptions,
  type Verifier,
} from '@mieweb/trusted-proxy-auth'
import { pino, type DestinationStream, type Logger } from 'pino'
import { createServeMetrics } from './metrics.js'
import { createEdgeServer } from './server.js'

export interface ServeOptions {
  env: Record<string, string | undefined>
  /** Options in code (the CLI's --preset, --config-file) that win over the environment. */
  overrides?: TrustedProxyAuthOptions
  /** Where the JSON log lines go (default stdout). */
  logDestination?: DestinationStream
  /** Milliseconds the shutdown waits for answers in flight before it closes every connection. */
  shutdownGraceMs?: number
  /**
   * `--enroll`: serve the one-click enrollment page too (route it through the proxy to this server). Until an
   * administrator enrolls, /verify answers 503 not_enrolled and the one-time code is logged; then /verify
   * enforces the enrolled settings without a restart. Needs TRUSTED_PROXY_ENROLLMENT_FILE or `file`.
   */
  enroll?: boolean | EnrollmentSettings
}

export interface RunningEdgeVerifier {
  readonly url: string
  readonly verifier: Verifier
  readonly logger: Logger
  /** Stops accepting, lets answers in flight finish (up to the grace period), stops key refreshes. */
  close(): Promise<void>
}

/** Log events: key loads and failures only, with URLs and reasons; never an assertion or key material. */
function logEvent(logger: Logger, event: TrustedProxyAuthEvent): void {
  switch (event.type) {
    case 'jwks_fetch_ok':
      logger.info({ event: event.type, url: event.url, keyCount: event.keyCount, ignoredCount: event.ignoredCount, durationMs: event.durationMs }, 'keys loaded')
      return
    case 'jwks_fetch_failed':
      logger.warn({ event: event.type, url: event.url, reason: event.reason, durationMs: event.durationMs }, 'key load failed')
      return
    case 'jwks_key_ignored':
      logger.warn({ event: event.type, kid: event.kid, reason: event.reason }, 'key ignored')
      return
    case 'jwks_stale_served':
      logger.warn({ event: event.type, ageSeconds: event.ageSeconds }, 'serving a stale key set')
      return
    default:
      return
  }
}

/**
 * Starts `trusted-proxy-auth serve`: loads the configuration (throws invalid_config), starts loading keys
 * and listens on TRUSTED_PROXY_SERVE_ADDRESS:TRUSTED_PROXY_SERVE_PORT.
 */
export async function startEdgeVerifier(options: ServeOptions): Promise<RunningEdgeVerifier> {
  const logger = pino({ base: { service: 'trusted-proxy-auth-serve' }, timestamp: pino.stdTimeFunctions.isoTime }, options.logDestination ?? pino.destination(1))
  let verifier: Verifier | null = null
  const metrics = createServeMetrics(() => verifier)
  const onEvent = (event: TrustedProxyAuthEvent): void => {
    metrics.onEvent(event)
    logEvent(logger, event)
  }
  let enrollment: EnrollmentPage | null = null
  let config: { servePort: number; serveAddress: string }
  if (options.enroll) {
    const lines = { debug: (line: string) => logger.debug(line), info: (line: string) => logger.info(line), warn: (line: string) => logger.warn(line), error: (line: string) => logger.error(line) }
    const authentication = authenticationFromAdapterOptions({ ...options.overrides, env: options.env, onEvent, logger: lines, enrollment: options.enroll }, [])
    enrollment = authentication.enrollment
    verifier = authentication.verifier
    config = listenSettings(options.env, options.overrides ?? {})
  } else {
    const loaded = loadConfig(options.env, options.overrides ?? {})
    verifier = createVerifier(loaded, { onEvent })
    config = loaded
  }
  const activeVerifier = verifier
  const server = createEdgeServer({ verifier: activeVerifier, config: enrollment ? null : (config as ReturnType<typeof loadConfig>), metrics, logger, enrollment })
  // Proxies keep connections to their auth service open; answer them promptly on shutdown.
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.servePort, config.serveAddress, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  logger.info({ address, port, keySource: enrollment ? (enrollment.verifier.enrolled ? enrollment.verifier.config.keySource.kind : 'not enrolled') : (config as ReturnType<typeof loadConfig>).keySource.kind, ...(enrollment ? { enrollment: enrollment.mountPath } : {}) }, 'listening')
  let closing: Promise<void> | null = null
  return {
    url: `http://${host}:${port}`,
    verifier: activeVerifier,
    logger,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 10_000)
        force.unref()
        server.close(() => {
          clearTimeout(force)
          activeVerifier.close()
          resolve()
        })
        server.closeIdleConnections()
      })
      return closing
    },
  }
}

/**
 * Where to listen before the settings are enrolled: TRUSTED_PROXY_SERVE_PORT and _ADDRESS (code options, then
 * env) with the contract's defaults; the rest of the configuration comes with the enrollment record.
 * @throws TrustedProxyAuthError `invalid_config` for a port that is not an integer from 0 to 65535.
 */
function listenSettings(env: Record<string, string | undefined>, overrides: TrustedProxyAuthOptions): { servePort: number; serveAddress: string } {
  const defaults = (name: string): string => String(ENV_CONTRACT.variables.find((variable) => variable.name === name)?.default ?? '')
  const portText = String(overrides.servePort ?? env['TRUSTED_PROXY_SERVE_PORT'] ?? defaults('TRUSTED_PROXY_SERVE_PORT')).trim()
  const servePort = Number(portText)
  if (!/^\d+$/.test(portText) || servePort > 65_535) {
    throw new TrustedProxyAuthError('invalid_config', { problems: [{ variable: 'TRUSTED_PROXY_SERVE_PORT', message: 'must be an integer from 0 to 65535' }] })
  }
  return { servePort, serveAddress: String(overrides.serveAddress ?? env['TRUSTED_PROXY_SERVE_ADDRESS'] ?? defaults('TRUSTED_PROXY_SERVE_ADDRESS')).trim() }
}

/**
 * The `serve` command: starts the edge verifier and stops it gracefully on SIGTERM or SIGINT.
 * Returns the exit code once it has stopped: 0, or 2 for an invalid configuration (printed as JSON).
 */
export async function runServe(options: ServeOptions & { stdout: (text: string) => void }): Promise<number> {
  let running: RunningEdgeVerifier
  try {
    running = await startEdgeVerifier(options)
  } catch (error) {
    if (isTrustedProxyAuthError(error) && error.code === 'invalid_config') {
      options.stdout(JSON.stringify({ ok: false, error: { code: error.code, status: error.status, message: error.message, problems: error.problems } }) + '\n')
      return 2
    }
    const reason = error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : 'start failed'
    options.stdout(JSON.stringify({ ok: false, error: { code: 'serve_failed', message: `cannot listen: ${reason}` } }) + '\n')
    return 2
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      running.logger.info({ signal }, 'shutting down')
      void running.close().then(() => {
        running.logger.info('stopped')
        resolve()
      })
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
  return 0
}
