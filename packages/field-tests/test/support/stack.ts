import { afterAll, beforeAll } from 'vitest'
import { join } from 'node:path'
import { CLIENT_ID, scratchDir, startExpressApp, startFastApiApp, startOAuth2Proxy, startProvider, type FieldUser, type ListeningApp, type OAuth2Proxy, type Provider, type ProxyFront } from './components.js'

export const APP_NAMES = ['express', 'fastapi'] as const
export type AppName = (typeof APP_NAMES)[number]

export const ALICE: FieldUser = { username: 'alice', subject: 'user-alice', email: 'alice@example.com', name: 'Alice Example', groups: ['staff', 'admins'] }

/** One test file's servers: the provider, oauth2-proxy, both applications and the proxy in front. */
export interface Stack {
  dir: string
  provider: Provider
  oauth2Proxy: OAuth2Proxy
  apps: Record<AppName, ListeningApp>
  front: ProxyFront
  tools: Record<string, string>
  /** The application settings the recipes document, for this provider. */
  appEnv: Record<string, string>
}

/** The recipe's application settings (docs/proxies/oauth2-proxy.md) for a provider on loopback. */
export function recipeAppEnv(issuer: string): Record<string, string> {
  return {
    TRUSTED_PROXY_PRESET: 'oauth2-proxy',
    TRUSTED_PROXY_ISSUER: issuer,
    TRUSTED_PROXY_AUDIENCE: CLIENT_ID,
    // The proxies run on loopback: only they may hand the application an assertion.
    TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1/32',
    // The expiry scenario waits for a real `exp` to pass; no skew allowance keeps that wait short.
    TRUSTED_PROXY_CLOCK_TOLERANCE: '0',
    // After a provider key rotation the new kid is fetched at once.
    TRUSTED_PROXY_JWKS_COOLDOWN: '0',
  }
}

/**
 * Starts every component once for the file (beforeAll) and stops them after it. `startFront` puts the
 * proxy under test in front of oauth2-proxy and the applications.
 */
export function useStack(
  tools: Record<string, string>,
  startFront: (dir: string, oauth2Proxy: string, apps: Record<AppName, string>) => Promise<ProxyFront>,
): () => Stack {
  let stack: Stack | undefined
  const scratch = scratchDir()
  const stops: Array<() => Promise<void>> = []
  beforeAll(async () => {
    const provider = await startProvider(tools['oidc-provider']!, join(scratch.path, 'provider-keys'))
    stops.push(() => provider.stop())
    await provider.putUsers([ALICE])
    const appEnv = recipeAppEnv(provider.issuer)
    const [express, fastapi, oauth2Proxy] = await Promise.all([
      startExpressApp(appEnv),
      startFastApiApp(tools['uvicorn']!, appEnv),
      startOAuth2Proxy(tools['oauth2-proxy']!, provider.issuer),
    ])
    stops.push(express.stop, fastapi.stop, oauth2Proxy.stop)
    const front = await startFront(scratch.path, oauth2Proxy.url, { express: express.url, fastapi: fastapi.url })
    stops.push(front.stop)
    stack = { dir: scratch.path, provider, oauth2Proxy, apps: { express, fastapi }, front, tools, appEnv }
  })
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
    scratch.cleanup()
  })
  return () => {
    if (!stack) throw new Error('the field stack did not start')
    return stack
  }
}
