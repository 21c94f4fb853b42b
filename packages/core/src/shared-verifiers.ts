import type { TrustedProxyAuthConfig } from './config.js'
import { createVerifier, type Verifier, type VerifierDependencies } from './verifier.js'
import { verifyRequestNow } from './verify-request-now.js'

/**
 * One verifier per effective configuration, shared by every adapter call that asks for it: five per-route
 * `trustedProxyAuth()` calls with the same settings make one key fetch and one refresh loop, not five.
 *
 * The key is the whole configuration (the shared secret included, so two secrets never share a verifier)
 * plus the identity of the `onEvent` listener and `logger`: a caller with its own hooks gets its own
 * verifier, since a shared one could only report to one of them. Each `acquireVerifier` returns a handle;
 * `close()` on a handle releases it, and the verifier stops its refreshes when the last handle is closed.
 * Verifiers built with other dependencies (a fetch, clock or scheduler for tests) are never shared.
 */
interface Entry {
  readonly verifier: Verifier
  handles: number
}

const entries = new Map<string, Entry>()
const hookIds = new WeakMap<object, number>()
let nextHookId = 1

function hookId(hook: object | undefined): number {
  if (hook === undefined) return 0
  let id = hookIds.get(hook)
  if (id === undefined) {
    id = nextHookId++
    hookIds.set(hook, id)
  }
  return id
}

function keyOf(config: TrustedProxyAuthConfig, dependencies: Pick<VerifierDependencies, 'onEvent' | 'logger'>): string {
  // JSON.stringify leaves out the non-enumerable shared secret, so it is added explicitly.
  return JSON.stringify([config, config.sharedSecret, hookId(dependencies.onEvent), hookId(dependencies.logger)])
}

/** The shared verifier for `config` (created on first use), as a handle whose `close()` releases it. */
export function acquireVerifier(config: TrustedProxyAuthConfig, dependencies: Pick<VerifierDependencies, 'onEvent' | 'logger'> = {}): Verifier {
  const key = keyOf(config, dependencies)
  let entry = entries.get(key)
  if (!entry) {
    entry = { verifier: createVerifier(config, dependencies), handles: 0 }
    entries.set(key, entry)
  }
  entry.handles++
  const shared = entry
  let released = false
  return {
    config: shared.verifier.config,
    verifyAssertion: (token, options) => shared.verifier.verifyAssertion(token, options),
    verifyRequest: (request, options) => shared.verifier.verifyRequest(request, options),
    verifyRequestNow: (request, options) => verifyRequestNow(shared.verifier, request, options),
    ready: () => shared.verifier.ready(),
    status: () => shared.verifier.status(),
    cacheCounts: () => shared.verifier.cacheCounts(),
    close: () => {
      if (released) return
      released = true
      shared.handles--
      if (shared.handles === 0) {
        entries.delete(key)
        shared.verifier.close()
      }
    },
  }
}

/** How many distinct verifiers are shared right now (for tests and diagnostics). */
export function sharedVerifierCount(): number {
  return entries.size
}
