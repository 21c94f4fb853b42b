import { afterAll, afterEach, beforeAll, vi } from 'vitest'
import { startTestIssuer, type RunningTestIssuer, type StartTestIssuerOptions } from '../loopback-issuer.js'
import { DEFAULT_ASSERTION_HEADER } from '../request-helpers.js'
import { loadErrorContract } from './error-contract.js'
import { fromFetch, fromRaw, type ReceivedResponse } from './problem-assertions.js'
import { rawGet } from './raw-request.js'
import { conformanceGuards } from './scenarios/guards.js'
import type { AdapterConformanceOptions, ConformanceApp, ConformanceAppOptions, ConformanceAuthOptions, ConformanceEvent } from './types.js'

export interface StartedApp extends ConformanceApp {
  /** Over the app's transport (a socket, or its in-process fetch). */
  get(path: string, headers?: HeadersInit): Promise<ReceivedResponse>
  /** Over node:http with header lines exactly as given; only on socket transports. */
  getRaw(path: string, headers: Readonly<Record<string, string | readonly string[]>>): Promise<ReceivedResponse>
}

export interface SuiteContext {
  readonly adapter: AdapterConformanceOptions
  /** The shared issuer, served on 127.0.0.1. */
  readonly issuer: RunningTestIssuer
  /** Every event any verifier of the suite reported. */
  readonly events: ConformanceEvent[]
  /** Everything written to console.* while the suite ran. */
  readonly consoleOutput: string[]
  /** Every response body and header block the suite received, to search for leaked assertions. */
  readonly responsesSeen: string[]
  /** Whether the adapter's app is reached over a real socket (false for in-process fetch). */
  readonly overSocket: boolean
  /** The settings that trust `issuer` (assertion header X-Test-Assertion), isolated from process.env. */
  baseAuth(issuer?: RunningTestIssuer): ConformanceAuthOptions
  /** Builds and starts an app with `baseAuth()` plus `auth`; it is closed after the test. */
  start(auth?: Partial<ConformanceAuthOptions>, options?: { host?: ConformanceAppOptions['host']; issuer?: RunningTestIssuer; replaceAuth?: boolean }): Promise<StartedApp>
  /** A further issuer on 127.0.0.1 (own keys and request count), closed after the suite. */
  startIssuer(options?: StartTestIssuerOptions): Promise<RunningTestIssuer>
}

export const ASSERTION_HEADER = DEFAULT_ASSERTION_HEADER

export function createSuiteContext(adapter: AdapterConformanceOptions): SuiteContext {
  let issuer: RunningTestIssuer | undefined
  const issuers: RunningTestIssuer[] = []
  const running: ConformanceApp[] = []
  const events: ConformanceEvent[] = []
  const consoleOutput: string[] = []
  const responsesSeen: string[] = []
  const guards = conformanceGuards(adapter)

  beforeAll(async () => {
    await loadErrorContract()
    issuer = await startTestIssuer()
    issuers.push(issuer)
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      // Recorded, not printed: the leak scenario searches it, and the test output stays readable.
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        consoleOutput.push(args.map((arg) => (arg instanceof Error ? `${arg.message}\n${arg.stack ?? ''}` : typeof arg === 'string' ? arg : safeJson(arg))).join(' '))
      })
    }
  })

  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()))
  })

  afterAll(async () => {
    vi.restoreAllMocks()
    await Promise.all(issuers.map((started) => started.close()))
  })

  const requireIssuer = (): RunningTestIssuer => {
    if (!issuer) throw new Error('the conformance issuer is not started yet')
    return issuer
  }

  const context: SuiteContext = {
    adapter,
    get issuer() {
      return requireIssuer()
    },
    events,
    consoleOutput,
    responsesSeen,
    overSocket: (adapter.transport ?? 'socket') === 'socket',
    baseAuth(source = requireIssuer()) {
      return {
        env: {},
        assertionHeader: ASSERTION_HEADER,
        jwksUrl: source.jwksUrl,
        issuer: source.issuer,
        audience: source.audience as string | string[],
        onEvent: (event) => events.push(event),
      }
    },
    async start(auth = {}, options = {}) {
      const host = options.host ?? '127.0.0.1'
      const merged = options.replaceAuth ? { ...auth } : { ...context.baseAuth(options.issuer), ...auth }
      const app = await adapter.createApp({ auth: merged as ConformanceAuthOptions, host, guards })
      running.push(app)
      const record = (response: ReceivedResponse, headerText: string): ReceivedResponse => {
        responsesSeen.push(`${headerText}\n${response.body}`)
        return response
      }
      return {
        ...app,
        async get(path, headers) {
          const send = app.fetch ?? ((url: string, init?: RequestInit) => fetch(url, init))
          const response = await send(new URL(path, app.url).href, { headers })
          const body = await response.text()
          return record(fromFetch(response, body), [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n'))
        },
        async getRaw(path, headers) {
          if (app.fetch) throw new Error('raw requests need a socket transport')
          const raw = await rawGet(app.url, path, headers)
          return record(fromRaw(raw), JSON.stringify(raw.headers))
        },
      }
    },
    async startIssuer(options = {}) {
      const started = await startTestIssuer(options)
      issuers.push(started)
      return started
    },
  }
  return context
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
