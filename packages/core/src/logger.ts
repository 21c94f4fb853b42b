import type { TrustedProxyAuthConfig } from './config.js'

/**
 * Where the library writes its log lines: `console`, a pino or winston logger, or anything with these four
 * methods. Each call gets one finished line (already filtered by level); lines never carry the assertion,
 * the shared secret or key material.
 */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }
/** The name `DEBUG` must contain (comma- or space-separated, `*` wildcards) to switch on debug lines. */
export const DEBUG_NAMESPACE = 'trusted-proxy-auth'

/** Whether a `DEBUG` value (the convention of the `debug` package) names this library. */
export function debugEnables(value: string | undefined): boolean {
  if (!value) return false
  let enabled = false
  for (const pattern of value.split(/[\s,]+/).filter(Boolean)) {
    const negated = pattern.startsWith('-')
    const body = negated ? pattern.slice(1) : pattern
    const regex = new RegExp(`^${body.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
    if (regex.test(DEBUG_NAMESPACE)) enabled = !negated
  }
  return enabled
}

/**
 * The level in force: TRUSTED_PROXY_LOG_THRESHOLD when set; else `debug` when `DEBUG` names trusted-proxy-auth;
 * else `warn` (risky settings and key-fetch failures only, like Python's default for an unconfigured logger).
 */
export function effectiveLogLevel(config: Pick<TrustedProxyAuthConfig, 'logThreshold'>, debugVariable: string | undefined): LogLevel {
  if (config.logThreshold !== null) return config.logThreshold
  return debugEnables(debugVariable) ? 'debug' : 'warn'
}

/** Every level to standard error (console.info and console.debug would write to stdout, where the CLI prints JSON). */
/* eslint-disable no-console -- the default log sink is the console, as the Logger option documents */
const STDERR: Logger = {
  debug: (message) => console.error(message),
  info: (message) => console.error(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
}
/* eslint-enable no-console */

/** Whether a logger filtered at `threshold` writes lines of `lineLevel`. */
export function logsAt(threshold: LogLevel, lineLevel: Exclude<LogLevel, 'silent'>): boolean {
  return RANK[lineLevel] >= RANK[threshold]
}

/** Writes to `sink` (default: standard error) the lines at `level` or above, each prefixed. */
export function levelFilteredLogger(level: LogLevel, sink: Logger = STDERR, prefix = `${DEBUG_NAMESPACE}: `): Logger {
  const at =
    (lineLevel: Exclude<LogLevel, 'silent'>) =>
    (message: string): void => {
      if (logsAt(level, lineLevel)) sink[lineLevel](`${prefix}${message}`)
    }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/** Calls the logger without letting a failing logger decide whether a request is authenticated. */
export function safeLog(logger: Logger, level: Exclude<LogLevel, 'silent'>, message: string): void {
  try {
    logger[level](message)
  } catch {
    // A broken log sink must not turn into a rejected or crashed request.
  }
}
