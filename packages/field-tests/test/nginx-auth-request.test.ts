import { describe, expect, it } from 'vitest'
import { startExpressApp, startFastApiApp, startNginx, type AppView, type ListeningApp } from './support/components.js'
import { recipeScenarios, relayedIdToken, signedIn } from './support/scenarios.js'
import { APP_NAMES, useStack, type AppName } from './support/stack.js'
import { unverifiedParts } from './support/tokens.js'
import { requireTools } from './support/tools.js'

const { tools, skipReason } = requireTools('nginx', 'oauth2-proxy', 'oidc-provider', 'uvicorn')

describe.skipIf(skipReason !== null)('docs/proxies/nginx-auth-request.md, run for real', () => {
  const stack = useStack(tools, (dir, oauth2Proxy, apps) => startNginx(tools['nginx']!, dir, oauth2Proxy, apps))

  for (const app of APP_NAMES) {
    describe(`in front of ${app}`, () => recipeScenarios(stack, app))
  }

  it('ID tokens of 4 KB and 8 KB (a user in many groups) sign in and reach both applications', async () => {
    // Each generated group adds about 59 bytes to the encoded token.
    const sizes = [
      { username: 'many-groups-4k', extraGroups: 65, atLeast: 4096 },
      { username: 'many-groups-8k', extraGroups: 135, atLeast: 8192 },
    ]
    await stack().provider.putUsers(sizes.map(({ username, extraGroups }) => ({ username, subject: `user-${username}`, email: `${username}@example.com`, name: username, groups: ['staff'], extraGroups })))
    for (const app of APP_NAMES) {
      for (const { username, extraGroups, atLeast } of sizes) {
        const { page } = await signedIn(stack(), app, username)
        expect(page.subject).toBe(`user-${username}`)
        expect(page.groups).toHaveLength(1 + extraGroups)
        expect(page.authorizationBytes, `${app} ${username}`).toBeGreaterThan(atLeast)
      }
    }
  })

  it('an expired ID token that oauth2-proxy still relays is rejected by both applications as expired', async () => {
    await stack().provider.setIdTokenTtl(3)
    try {
      const sessions = await Promise.all(APP_NAMES.map(async (app) => ({ app, ...(await signedIn(stack(), app)) })))
      const exp = Number(unverifiedParts(await relayedIdToken(stack(), sessions[0]!.browser)).payload['exp'])
      // Wait for the token's own `exp` to pass on the wall clock (the applications allow no skew here).
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 + 1100 - Date.now())))
      for (const { app, browser } of sessions) {
        const answer = await browser.request(`${stack().front.urls[app]}/`)
        expect(answer.status, app).toBe(401)
        expect(answer.json<{ code: string }>().code, app).toBe('expired')
      }
    } finally {
      await stack().provider.setIdTokenTtl(600)
    }
  })

  it('after a provider key rotation, new sign-ins carry the new kid and both applications verify them and the older sessions', async () => {
    const before = await Promise.all(APP_NAMES.map(async (app) => ({ app, ...(await signedIn(stack(), app)) })))
    const kid = await stack().provider.rotateKeys()
    for (const app of APP_NAMES) {
      const { browser, page } = await signedIn(stack(), app)
      expect(page.subject).toBe('user-alice')
      expect(unverifiedParts(await relayedIdToken(stack(), browser)).header['kid']).toBe(kid)
    }
    for (const { app, browser } of before) expect((await browser.request(`${stack().front.urls[app]}/`)).status, app).toBe(200)
  })

  it('an issuer that differs from the discovery document by a trailing slash: 503 in both applications, not a sign-in problem', async () => {
    const env = { ...stack().appEnv, TRUSTED_PROXY_ISSUER: `${stack().provider.issuer}/` }
    const { browser } = await signedIn(stack(), 'express')
    const token = await relayedIdToken(stack(), browser)
    const [fastapi, express] = [await startFastApiApp(tools['uvicorn']!, env), await startExpressApp(env)]
    try {
      for (const app of [express, fastapi]) {
        const answer = await fetch(`${app.url}/`, { headers: { authorization: `Bearer ${token}` } })
        expect(answer.status, app.url).toBe(503)
        expect(((await answer.json()) as { code: string }).code).toBe('jwks_unavailable')
      }
    } finally {
      await Promise.all([express.stop(), fastapi.stop()])
    }
  })

  it('provider down when an application starts: 503 with Retry-After, then recovery once the provider is back', async () => {
    const { browser } = await signedIn(stack(), 'express')
    const token = await relayedIdToken(stack(), browser)
    await stack().provider.stop()
    const fresh: Partial<Record<AppName, ListeningApp>> = {}
    try {
      // uvicorn first, as it takes longest to start; the Express verifier fetches keys as soon as it is
      // created, and each failed fetch lengthens its retry delay (5 s, 10 s, 30 s).
      fresh.fastapi = await startFastApiApp(tools['uvicorn']!, stack().appEnv)
      // In this process the same configuration would share the running Express app's verifier (one per
      // configuration), which holds keys and has this assertion cached; a restarted app is a new process with
      // neither. A cache size of its own makes a configuration, and so a verifier, of its own.
      fresh.express = await startExpressApp({ ...stack().appEnv, TRUSTED_PROXY_CACHE_SIZE: '1' })
      const ask = (app: AppName): Promise<Response> => fetch(`${fresh[app]!.url}/`, { headers: { authorization: `Bearer ${token}` } })
      const down = await Promise.all(APP_NAMES.map(ask))
      for (const [index, answer] of down.entries()) {
        expect(answer.status, APP_NAMES[index]).toBe(503)
        expect(Number(answer.headers.get('retry-after')), APP_NAMES[index]).toBeGreaterThan(0)
      }
      await stack().provider.restart()
      const recovered = await Promise.all(
        APP_NAMES.map(async (app) => {
          let answer = await ask(app)
          // Bounded: honour Retry-After a few times, as a client would.
          for (let attempt = 0; answer.status === 503 && attempt < 4; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, Number(answer.headers.get('retry-after') ?? '1') * 1000))
            answer = await ask(app)
          }
          return { app, status: answer.status, view: answer.status === 200 ? ((await answer.json()) as AppView) : null }
        }),
      )
      for (const { app, status, view } of recovered) {
        expect(status, app).toBe(200)
        expect(view?.subject, app).toBe('user-alice')
      }
    } finally {
      await Promise.all(Object.values(fresh).map((app) => app.stop()))
    }
  }, 180_000)
})
