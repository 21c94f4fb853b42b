import { describe, expect, it } from 'vitest'
import { Browser } from './support/browser.js'
import { startNginx, type AppView } from './support/components.js'
import { ALICE, APP_NAMES, useStack } from './support/stack.js'
import { requireTools } from './support/tools.js'

const { tools, skipReason } = requireTools('nginx', 'oauth2-proxy', 'oidc-provider', 'uvicorn')

describe.skipIf(skipReason !== null)('docs/proxies/nginx-auth-request.md, run for real', () => {
  const stack = useStack(tools, (dir, oauth2Proxy, apps) => startNginx(tools['nginx']!, dir, oauth2Proxy, apps))

  for (const app of APP_NAMES) {
    describe(`in front of ${app}`, () => {
      it('signs a user in and the application sees sub, email, name and groups', async () => {
        const browser = new Browser()
        const front = stack().front.urls[app]!
        const hops = await browser.signIn(`${front}/reports/2026?view=full&page=2`, 'alice')
        const first = hops[0]!
        expect(first.status).toBe(302)
        const signIn = new URL(first.headers.get('location')!)
        expect(signIn.origin).toBe(new URL(stack().provider.issuer).origin)
        // The callback keeps the proxy's non-default port.
        expect(signIn.searchParams.get('redirect_uri')).toBe(`${front}/oauth2/callback`)
        const back = hops.at(-2)!
        expect(new URL(back.headers.get('location')!, front).toString()).toBe(`${front}/reports/2026?view=full&page=2`)
        const page = hops.at(-1)!
        expect(page.status).toBe(200)
        expect(page.json<AppView>()).toMatchObject({ subject: ALICE.subject, email: ALICE.email, name: ALICE.name, groups: ALICE.groups })
      })
    })
  }
})
