import type { EnvInput } from '@mieweb/trusted-proxy-auth'
import { createTestIssuer, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { APP_AUDIENCE, ASSERTION_HEADER, DEMO_USER } from './demo-user.js'
import { printKeyEvent } from './events.js'
import { startIdentityAwareProxy, type RunningProxy } from './identity-aware-proxy.js'
import { bold, cyan, detail, dim, heading, line, outcome, yellow } from './output.js'
import { startProtectedApp, type RunningApp } from './protected-app.js'

/** How long step 5 waits for the verifier's scheduled key retry (the first one comes after ~5 s). */
const RECOVERY_LIMIT_MS = 12_000

interface Answer {
  status: number
  code: string | undefined
  body: Record<string, unknown>
  headers: Headers
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { headers })
  const text = await response.text()
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    body = {}
  }
  return { status: response.status, code: typeof body['code'] === 'string' ? body['code'] : undefined, body, headers: response.headers }
}

const summary = (answer: Answer): string =>
  answer.status === 200
    ? `${answer.status} ${JSON.stringify({ subject: answer.body['subject'], email: answer.body['email'], name: answer.body['name'], groups: answer.body['groups'] })}`
    : `${answer.status} ${answer.code ?? ''}`

export interface Walkthrough {
  readonly passed: number
  readonly failed: number
  readonly issuer: RunningTestIssuer
  readonly proxy: RunningProxy
  readonly app: RunningApp
  close(): Promise<void>
}

/** Starts the issuer, proxy and app and walks through the five situations, printing each. */
export async function runWalkthrough(): Promise<Walkthrough> {
  let passed = 0
  let failed = 0
  const check = (ok: boolean, text: string): void => {
    outcome(ok, text)
    if (ok) passed++
    else failed++
  }

  line(bold('trusted-proxy-auth demo') + dim(' — everything runs on 127.0.0.1 and stops when the demo ends'))
  const issuer = await startTestIssuer({ audience: APP_AUDIENCE, kidPrefix: 'demo-' })
  const env: EnvInput = {
    TRUSTED_PROXY_ASSERTION_HEADER: ASSERTION_HEADER,
    TRUSTED_PROXY_JWKS_URL: issuer.jwksUrl,
    TRUSTED_PROXY_ISSUER: issuer.issuer,
    TRUSTED_PROXY_AUDIENCE: APP_AUDIENCE,
  }
  let app = await startProtectedApp(env, printKeyEvent)
  const proxy = await startIdentityAwareProxy(issuer, app.url)
  line()
  line(`   identity provider (keys)  ${cyan(issuer.jwksUrl)}`)
  line(`   identity-aware proxy      ${cyan(proxy.url)}  ${dim(`logs everyone in as ${DEMO_USER.email}`)}`)
  line(`   Express app               ${cyan(app.url)}  ${dim('protected by @mieweb/trusted-proxy-auth-express')}`)
  line()
  line(dim('   The app is configured with nothing but these variables:'))
  for (const [name, value] of Object.entries(env)) line(dim(`     ${name}=${value}`))

  heading(1, 'A request through the proxy')
  const viaProxy = await get(`${proxy.url}/api/me`)
  detail(`GET ${proxy.url}/api/me → ${summary(viaProxy)}`)
  check(viaProxy.status === 200 && viaProxy.body['email'] === DEMO_USER.email, 'the proxy signed an assertion; the app verified it and sees the user')

  heading(2, 'Straight to the app, around the proxy')
  const direct = await get(`${app.url}/api/me`)
  detail(`GET ${app.url}/api/me → ${summary(direct)}  ${dim(`WWW-Authenticate: ${direct.headers.get('www-authenticate') ?? '-'}`)}`)
  check(direct.status === 401 && direct.code === 'missing_assertion', 'no assertion, no entry: 401 missing_assertion')

  heading(3, 'A forged assertion')
  const attacker = await createTestIssuer({ issuer: issuer.issuer, audience: APP_AUDIENCE, kidPrefix: 'demo-' })
  const forged = await attacker.sign({ sub: 'mallory', email: 'mallory@example.com', groups: ['admins'] })
  const forgedDirect = await get(`${app.url}/api/me`, { [ASSERTION_HEADER]: forged })
  detail(`signed with the attacker's own key under the proxy's key id, sent to the app → ${summary(forgedDirect)}`)
  check(forgedDirect.status === 401 && forgedDirect.code === 'invalid_signature', 'the signature does not verify with the published key: 401 invalid_signature')
  const forgedViaProxy = await get(`${proxy.url}/api/me`, { [ASSERTION_HEADER]: forged })
  detail(`the same header sent through the proxy → ${summary(forgedViaProxy)}`)
  check(forgedViaProxy.status === 200 && forgedViaProxy.body['subject'] === DEMO_USER.sub, 'the proxy drops client-sent assertions and signs its own: still Ada, never Mallory')

  heading(4, 'The proxy rotates its signing key, live')
  const fetchesBefore = issuer.requests.count
  const newKid = await issuer.rotate()
  detail(`new key ${yellow(newKid)} published next to the old one; the proxy signs with it from now on`)
  const rotated = await get(`${proxy.url}/api/me`)
  detail(`GET ${proxy.url}/api/me → ${summary(rotated)}`)
  check(rotated.status === 200 && issuer.requests.count === fetchesBefore + 1, `still 200: the unknown key id made the verifier fetch the key set once (${issuer.requests.count - fetchesBefore} fetch)`)

  heading(5, 'The app starts while the key server is down')
  issuer.setFailures(Array.from({ length: 1000 }, () => '503' as const))
  await app.close()
  app = await startProtectedApp(env, printKeyEvent)
  proxy.setUpstream(app.url)
  detail(`the app restarted at ${app.url}; its first key fetch gets 503`)
  const down = await get(`${proxy.url}/api/me`)
  detail(`GET ${proxy.url}/api/me → ${summary(down)}  ${dim(`Retry-After: ${down.headers.get('retry-after') ?? '-'}`)}`)
  check(down.status === 503 && down.code === 'jwks_unavailable', 'no keys, no guessing: 503 jwks_unavailable with Retry-After (the app itself keeps running)')
  issuer.setFailures([])
  detail('the key server is back; waiting for the verifier’s scheduled retry…')
  const started = Date.now()
  let recovered: Answer = down
  while (recovered.status !== 200 && Date.now() - started < RECOVERY_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    recovered = await get(`${proxy.url}/api/me`)
  }
  detail(`GET ${proxy.url}/api/me → ${summary(recovered)}  ${dim(`after ${((Date.now() - started) / 1000).toFixed(1)} s`)}`)
  check(recovered.status === 200, 'recovered on its own once the keys could be fetched')

  line()
  line(failed === 0 ? bold(`All ${passed} checks behaved as expected.`) : bold(`${failed} of ${passed + failed} checks did not behave as expected.`))
  return {
    passed,
    failed,
    issuer,
    proxy,
    get app() {
      return app
    },
    async close() {
      await proxy.close()
      await app.close()
      await issuer.close()
    },
  }
}
