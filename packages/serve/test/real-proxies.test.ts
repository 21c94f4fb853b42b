import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEdgeVerifier, type RunningEdgeVerifier } from '../src/index.js'

// `trusted-proxy-auth serve` behind real nginx (auth_request) and Caddy (forward_auth), with the very
// configuration files docs/serve.md shows. Their addresses are substituted, nothing else.
const docs = join(import.meta.dirname, '..', '..', '..', 'docs', 'serve')

function installed(command: string, versionFlag: string): boolean {
  return spawnSync(command, [versionFlag], { stdio: 'ignore' }).status === 0
}
const haveNginx = installed('nginx', '-v')
const haveCaddy = installed('caddy', 'version')
if (!haveNginx || !haveCaddy) {
  console.log(`real-proxy tests of serve: ${[haveNginx ? '' : 'nginx', haveCaddy ? '' : 'caddy'].filter(Boolean).join(' and ')} not installed; run scripts/install-tools.sh (apt-get install nginx caddy)`)
}

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

function portOf(url: string): number {
  return Number(new URL(url).port)
}

/** The docs' file with the serve, application and listen addresses replaced. */
function configFrom(file: string, ports: { proxy: number; serve: number; app: number }): string {
  return readFileSync(join(docs, file), 'utf8')
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.proxy}`)
    .replaceAll('127.0.0.1:4181', `127.0.0.1:${ports.serve}`)
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${ports.app}`)
}

interface RunningProxy {
  url: string
  stop(): Promise<void>
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`proxy exited: ${log()}`)
    try {
      await fetch(`http://127.0.0.1:${port}/__probe`, { signal: AbortSignal.timeout(500) })
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
  throw new Error(`proxy did not listen: ${log()}`)
}

async function startProxy(kind: 'nginx' | 'caddy', ports: { serve: number; app: number }, workDir: string): Promise<RunningProxy> {
  const proxy = await freePort()
  const dir = mkdtempSync(join(workDir, `${kind}-`))
  let child: ChildProcess
  if (kind === 'nginx') {
    mkdirSync(join(dir, 'logs'))
    writeFileSync(join(dir, 'nginx.conf'), configFrom('nginx.conf', { proxy, ...ports }))
    child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', `daemon off; master_process off; pid ${join(dir, 'nginx.pid')};`])
  } else {
    writeFileSync(join(dir, 'Caddyfile'), configFrom('Caddyfile', { proxy, ...ports }))
    child = spawn('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } })
  }
  let log = ''
  child.stderr?.on('data', (chunk) => (log += String(chunk)))
  child.stdout?.on('data', () => undefined)
  await waitForPort(proxy, child, () => log)
  return {
    url: `http://127.0.0.1:${proxy}`,
    async stop() {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

let issuer: RunningTestIssuer
let app: Server
let seen: IncomingHttpHeaders[]
let workDir: string
let edge: RunningEdgeVerifier
let edgeDown: RunningEdgeVerifier
const proxies: Record<string, RunningProxy> = {}

beforeAll(async () => {
  if (!haveNginx || !haveCaddy) return
  workDir = mkdtempSync(join(tmpdir(), 'tpa-serve-proxies-'))
  issuer = await startTestIssuer({ audience: 'app', subject: 'ann' })
  seen = []
  app = createServer((request, response) => {
    seen.push(request.headers)
    response.end('app')
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  const appPort = (app.address() as AddressInfo).port
  const env = envFor(issuer, { TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_TRUSTED_ADDRESSES: '127.0.0.1', TRUSTED_PROXY_ALLOWED_USERS: 'ann', TRUSTED_PROXY_SERVE_PORT: '0' }) as Record<string, string>
  const silent = { write: () => true }
  edge = await startEdgeVerifier({ env, logDestination: silent })
  // A second verifier whose keys are never available: every /verify answers 503.
  edgeDown = await startEdgeVerifier({ env: { ...env, TRUSTED_PROXY_JWKS_URL: `${issuer.url}/no-such-keys.json` }, logDestination: silent })
  await edge.verifier.ready()
  for (const kind of ['nginx', 'caddy'] as const) {
    proxies[kind] = await startProxy(kind, { serve: portOf(edge.url), app: appPort }, workDir)
    proxies[`${kind}-down`] = await startProxy(kind, { serve: portOf(edgeDown.url), app: appPort }, workDir)
  }
})

afterAll(async () => {
  if (!haveNginx || !haveCaddy) return
  await Promise.all(Object.values(proxies).map((proxy) => proxy.stop()))
  await Promise.all([edge.close(), edgeDown.close(), issuer.close(), new Promise((resolve) => app.close(resolve))])
  rmSync(workDir, { recursive: true, force: true })
})

describe.skipIf(!haveNginx || !haveCaddy)('serve behind real nginx auth_request and Caddy forward_auth (docs/serve/*)', () => {
  for (const kind of ['nginx', 'caddy'] as const) {
    it(`${kind}: a verified request reaches the app with the identity headers, a client's own copies replaced`, async () => {
      seen.length = 0
      const token = await issuer.sign({ email: 'ann@example.com', name: 'Zoë', groups: ['staff', 'ops'] })
      const response = await fetch(proxies[kind]!.url + '/page', { headers: { 'x-assertion': token, 'x-auth-request-user': 'mallory', 'x-auth-request-groups': 'admins' } })
      expect(response.status).toBe(200)
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ 'x-auth-request-user': 'ann', 'x-auth-request-email': 'ann@example.com', 'x-auth-request-name': 'Zo%C3%AB', 'x-auth-request-groups': 'staff,ops' })
    })

    it(`${kind}: no assertion is 401 and never reaches the app, with no identity the client sent`, async () => {
      seen.length = 0
      const response = await fetch(proxies[kind]!.url + '/page', { headers: { 'x-auth-request-user': 'mallory' } })
      expect(response.status).toBe(401)
      expect(seen).toHaveLength(0)
    })

    it(`${kind}: a user outside TRUSTED_PROXY_ALLOWED_USERS is 403`, async () => {
      const response = await fetch(proxies[kind]!.url + '/page', { headers: { 'x-assertion': await issuer.sign({ sub: 'bob' }) } })
      expect(response.status).toBe(403)
    })
  }

  it('keys unavailable (503 from /verify): nginx answers 500, Caddy passes 503 with Retry-After through', async () => {
    seen.length = 0
    const token = await issuer.sign()
    const viaNginx = await fetch(proxies['nginx-down']!.url + '/page', { headers: { 'x-assertion': token } })
    expect(viaNginx.status).toBe(500)
    const viaCaddy = await fetch(proxies['caddy-down']!.url + '/page', { headers: { 'x-assertion': token } })
    expect(viaCaddy.status).toBe(503)
    expect(Number(viaCaddy.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await viaCaddy.json()) as { code: string }).code).toBe('jwks_unavailable')
    expect(seen).toHaveLength(0)
  })

  it('Caddy passes the 401 problem body and WWW-Authenticate through; nginx keeps only the status', async () => {
    const viaCaddy = await fetch(proxies['caddy']!.url + '/page')
    expect(viaCaddy.headers.get('content-type')).toBe('application/problem+json')
    expect(viaCaddy.headers.get('www-authenticate')).toContain('Bearer')
    const viaNginx = await fetch(proxies['nginx']!.url + '/page')
    expect(viaNginx.headers.get('content-type')).not.toBe('application/problem+json')
  })
})
