/*
 * Structural types only: this package is built before the core (the core's own tests use it), so the
 * suite describes what it needs from an adapter instead of importing the core's declarations.
 */

/** The members of the verified identity the suite reads; adapters expose the core's full TrustedIdentity. */
export interface ConformanceIdentity {
  readonly subject: string
  readonly email: string | null
  readonly [member: string]: unknown
}

/** A verifier event as the core reports it through `onEvent`. */
export interface ConformanceEvent {
  readonly type: string
  readonly [member: string]: unknown
}

/**
 * What the suite hands to the adapter's `trustedProxyAuth(options)`: core settings (by their option
 * names) plus the options every adapter shares. Pass it through unchanged; a cast to the adapter's own
 * option type is expected.
 */
export interface ConformanceAuthOptions {
  env?: Readonly<Record<string, string | undefined>>
  onEvent?: (event: ConformanceEvent) => void
  resolveUser?: (identity: ConformanceIdentity, request: unknown) => unknown
  [option: string]: unknown
}

/**
 * Per-route requirements as the suite hands them to the adapter's route guard (`requireIdentity(requirements)`,
 * contract/requirements.json). Pass them through unchanged; a cast to the adapter's own type is expected.
 */
export interface ConformanceRequirements {
  claims?: readonly string[]
  groups?: { any?: readonly string[]; all?: readonly string[] }
  scopes?: readonly string[]
  check?: (identity: ConformanceIdentity, request: unknown) => boolean | Promise<boolean>
}

export interface ConformanceAppOptions {
  /** Options for `trustedProxyAuth(auth)`. Creating the middleware may throw `invalid_config`: let it reject. */
  auth: ConformanceAuthOptions
  /**
   * Route guards by name. For each, the app must also serve, answering like `/whoami`:
   * - `GET /guarded/<name>`: behind the middleware, then the adapter's route guard with these requirements;
   * - `GET /bare/<name>`: the same guard with no middleware in front (it must answer 401 `missing_assertion`).
   */
  guards: Readonly<Record<string, ConformanceRequirements>>
  /** Loopback address the server must listen on (port 0). */
  host: '127.0.0.1' | '::1'
}

/**
 * A running app built with the adapter. It must serve:
 * - `GET /whoami`, protected: 200 JSON `{ "user": <the user where the framework keeps it, or null>,
 *   "identity": <the verified identity the adapter exposes, or null> }`
 * - `GET /health`, opted out of authentication with the framework's own mechanism: 200 JSON `{ "ok": true }`
 * - `GET /accessor`, protected: 200 JSON `{ "subject": getIdentity(request).subject, "user": getUser(request) }`
 *   through the adapter's non-null accessors
 * - `GET /bare-accessor`: the same handler with no middleware in front, answered by the framework's own error
 *   handling of what the accessor throws (a 401)
 */
export interface ConformanceApp {
  /** Base URL, e.g. `http://127.0.0.1:41234` or `http://[::1]:41234`. */
  url: string
  close(): Promise<void>
  /**
   * For in-process transports (Hono's `app.request`): requests go through this instead of a socket.
   * Scenarios that need a real socket (peer addresses, raw repeated header lines) are then skipped.
   */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>
}

export interface AdapterConformanceOptions {
  /** Shown in the test names, e.g. `express`. */
  name: string
  /**
   * `socket` (default): the app listens on the given host. `in-process`: the app answers through
   * `ConformanceApp.fetch`; scenarios that need a real socket are skipped.
   */
  transport?: 'socket' | 'in-process'
  createApp(options: ConformanceAppOptions): Promise<ConformanceApp>
  /** The adapter's `new TrustedProxyAuthError(code)`, for a custom route check that denies with its own code. */
  createAuthError(code: string): Error
}
