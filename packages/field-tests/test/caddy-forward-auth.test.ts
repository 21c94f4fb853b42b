import { describe } from 'vitest'
import { startCaddy } from './support/components.js'
import { recipeScenarios } from './support/scenarios.js'
import { APP_NAMES, useStack } from './support/stack.js'
import { requireTools } from './support/tools.js'

const { tools, skipReason } = requireTools('caddy', 'oauth2-proxy', 'oidc-provider', 'uvicorn')

describe.skipIf(skipReason !== null)('docs/proxies/caddy-forward-auth.md, run for real', () => {
  const stack = useStack(tools, (dir, oauth2Proxy, apps) => startCaddy(tools['caddy']!, dir, oauth2Proxy, apps))

  for (const app of APP_NAMES) {
    describe(`in front of ${app}`, () => recipeScenarios(stack, app))
  }
})
