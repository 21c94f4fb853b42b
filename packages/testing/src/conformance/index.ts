/**
 * `@mieweb/trusted-proxy-auth-testing/conformance`: the HTTP scenarios every trusted-proxy-auth adapter
 * must pass, run over real loopback sockets. A new adapter gets them by writing one `createApp`.
 *
 * ```ts
 * import { runAdapterConformance } from '@mieweb/trusted-proxy-auth-testing/conformance'
 * runAdapterConformance({ name: 'express', createApp: async ({ auth, host }) => { … return { url, close } } })
 * ```
 * @module
 */
import { describe } from 'vitest'
import { addressScenarios } from './scenarios/addresses.js'
import { errorScenarios } from './scenarios/errors.js'
import { headerScenarios } from './scenarios/headers.js'
import { identityScenarios } from './scenarios/identity.js'
import { keyScenarios } from './scenarios/keys.js'
import { leakScenarios } from './scenarios/leaks.js'
import { modeAndHookScenarios } from './scenarios/modes-and-hooks.js'
import { guardScenarios } from './scenarios/guards.js'
import { createSuiteContext } from './suite-context.js'
import type { AdapterConformanceOptions } from './types.js'

export type { AdapterConformanceOptions, ConformanceApp, ConformanceAppOptions, ConformanceAuthOptions, ConformanceEvent, ConformanceIdentity, ConformanceRequirements } from './types.js'
export { expectProblem } from './problem-assertions.js'
export { rawGet, type RawResponse } from './raw-request.js'

/** Registers the conformance scenarios (vitest `describe`/`it`) for one adapter. */
export function runAdapterConformance(adapter: AdapterConformanceOptions): void {
  describe(`${adapter.name} adapter conformance`, () => {
    const context = createSuiteContext(adapter)
    identityScenarios(context)
    errorScenarios(context)
    headerScenarios(context)
    addressScenarios(context)
    modeAndHookScenarios(context)
    guardScenarios(context)
    keyScenarios(context)
    // Last: it searches everything the scenarios before it received and logged.
    leakScenarios(context)
  })
}
