import type { AddressInfo } from 'node:net'
import { createVerifier, isTrustedProxyAuthError, loadConfig, type TrustedProxyAuthEvent, type TrustedProxyAuthOptions, type Verifier } from '@mieweb/trusted-proxy-auth'
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
  const config = loadConfig(options.env, options.overrides ?? {})
  const logger = pino({ base: { service: 'trusted-proxy-auth-serve' }, timestamp: pino.stdTimeFunctions.isoTime }, options.logDestination ?? pino.destination(1))
  let verifier: Verifier | null = null
  const metrics = createServeMetrics(() => verifier)
  verifier = createVerifier(config, {
    onEvent(event) {
      metrics.onEvent(event)
      logEvent(logger, event)
    },
  })
  const activeVerifier = verifier
  const server = createEdgeServer({ verifier: activeVerifier, config, metrics, logger })
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
  logger.info({ address, port, keySource: config.keySource.kind }, 'listening')
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
