import { expect, it } from 'vitest'
import { Browser } from './browser.js'
import { FORGEABLE_HEADERS, type AppView } from './components.js'
import { ALICE, type AppName, type Stack } from './stack.js'

const FORGED: Record<string, string> = {
  authorization: 'Bearer forged.assertion.value',
  'x-forwarded-user': 'mallory',
  'x-forwarded-email': 'mallory@example.com',
  'x-identity-assertion': 'forged.assertion.value',
  'x-auth-request-user': 'mallory',
}

/** A browser signed in as `username` through the proxy in front of `app`. */
export async function signedIn(stack: Stack, app: AppName, username = 'alice'): Promise<{ browser: Browser; page: AppView }> {
  const browser = new Browser()
  const hops = await browser.signIn(`${stack.front.urls[app]}/`, username)
  const last = hops.at(-1)!
  if (last.status !== 200) throw new Error(`sign-in as ${username} ended with ${last.status}: ${last.body.slice(0, 300)}`)
  return { browser, page: last.json<AppView>() }
}

/** The scenarios every recipe must pass, for one application behind the proxy under test. */
export function recipeScenarios(stack: () => Stack, app: AppName): void {
  it('signs a user in; the application sees sub, email, name and groups, and the browser returns to the URL it asked for (port kept)', async () => {
    const browser = new Browser()
    const front = stack().front.urls[app]!
    const hops = await browser.signIn(`${front}/reports/2026?view=full&page=2`, 'alice')
    const first = hops[0]!
    expect(first.status).toBe(302)
    const signIn = new URL(first.headers.get('location')!)
    expect(signIn.origin + signIn.pathname).toBe(`${stack().provider.issuer}/authorize`)
    expect(signIn.searchParams.get('redirect_uri')).toBe(`${front}/oauth2/callback`)
    const back = hops.at(-2)!
    expect(new URL(back.headers.get('location')!, front).toString()).toBe(`${front}/reports/2026?view=full&page=2`)
    const page = hops.at(-1)!
    expect(page.status).toBe(200)
    expect(page.json<AppView>()).toMatchObject({ subject: ALICE.subject, email: ALICE.email, name: ALICE.name, groups: ALICE.groups })
  })

  it('without a session: 302 with a Location to sign in, whatever identity headers the client sends', async () => {
    const answer = await new Browser().request(`${stack().front.urls[app]}/`, { headers: FORGED })
    expect(answer.status).toBe(302)
    expect(answer.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oidc\/authorize\?/)
  })

  it("strips the client's Authorization, X-Forwarded-User/Email and assertion headers: the application sees only the signed session identity", async () => {
    const { browser } = await signedIn(stack(), app)
    const answer = await browser.request(`${stack().front.urls[app]}/`, { headers: FORGED })
    expect(answer.status).toBe(200)
    const view = answer.json<AppView>()
    expect(view.subject).toBe(ALICE.subject)
    expect(view.received).toEqual(Object.fromEntries(FORGEABLE_HEADERS.map((name) => [name, null])))
    expect(view.authorizationBytes).toBeGreaterThan(FORGED['authorization']!.length)
  })

  it('straight to the application (no proxy): 401', async () => {
    const bare = await fetch(`${stack().apps[app].url}/`)
    expect(bare.status).toBe(401)
    const forged = await fetch(`${stack().apps[app].url}/`, { headers: FORGED })
    expect(forged.status).toBe(401)
  })
}

/** The ID token oauth2-proxy relays for this browser's session (its /oauth2/auth answer, as the proxy sees it). */
export async function relayedIdToken(stack: Stack, browser: Browser): Promise<string> {
  const answer = await browser.request(`${stack.oauth2Proxy.url}/oauth2/auth`)
  const authorization = answer.headers.get('authorization')
  if (answer.status !== 202 || !authorization?.startsWith('Bearer ')) throw new Error(`oauth2-proxy /oauth2/auth answered ${answer.status} without a bearer token`)
  return authorization.slice('Bearer '.length)
}
