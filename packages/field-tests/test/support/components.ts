import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { trustedProxyAuth } from '@mieweb/trusted-proxy-auth-express'
import { freePort, runProcess, startProcess, waitForPort, type Started } from './processes.js'
import { examplesDir, repoRoot } from './tools.js'

export const CLIENT_ID = 'field-client'
const CLIENT_SECRET = 'field-client-secret'

/** A scratch directory for one test file's servers, removed by `cleanup`. */
export function scratchDir(): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'tpa-field-'))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}

export interface FieldUser {
  username: string
  subject: string
  email: string
  name: string
  groups: string[]
  extraGroups?: number
}

export interface Provider {
  issuer: string
  port: number
  putUsers: (users: FieldUser[]) => Promise<void>
  rotateKeys: () => Promise<string>
  setIdTokenTtl: (seconds: number) => Promise<void>
  stop: () => Promise<void>
  /** Starts the provider again on the same port with the same keys. */
  restart: () => Promise<void>
}

/** field/oidc-provider on a loopback port, keeping its keys in `keyDir` so a restart signs with the same key. */
export async function startProvider(binary: string, keyDir: string): Promise<Provider> {
  let port = 0
  let running: Started | null = null
  const start = async (): Promise<string> => {
    const started = await startProcess(binary, ['-listen', `127.0.0.1:${port}`, '-client-id', CLIENT_ID, '-client-secret', CLIENT_SECRET, '-key-dir', keyDir], {
      ready: /\{"issuer":"([^"]+)","port":(\d+)\}/,
    })
    running = started
    port = Number(started.match[2])
    return started.match[1]!
  }
  const issuer = await start()
  const admin = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) })
    if (!response.ok) throw new Error(`provider ${method} ${path}: ${response.status} ${await response.text()}`)
    return response
  }
  return {
    issuer,
    port,
    putUsers: async (users) => void (await admin('PUT', '/admin/users', users)),
    rotateKeys: async () => ((await (await admin('POST', '/admin/rotate-keys')).json()) as { kid: string }).kid,
    setIdTokenTtl: async (seconds) => void (await admin('PUT', '/admin/id-token-ttl', { seconds })),
    stop: async () => {
      await running?.stop()
      running = null
    },
    restart: async () => void (await start()),
  }
}

export interface ListeningApp {
  url: string
  port: number
  stop: () => Promise<void>
}

/** What the field apps answer: the verified identity and the identity-related headers that reached them. */
export interface AppView {
  subject: string
  email: string | null
  name: string | null
  groups: string[]
  authorizationBytes: number
  received: Record<string, string | null>
}

/** Headers a client might forge; the shipped configs must keep every one of them from the application. */
export const FORGEABLE_HEADERS = ['x-forwarded-user', 'x-forwarded-email', 'x-identity-assertion', 'x-auth-request-user'] as const

/** The recipe's Express application (docs/proxies: `app.use(trustedProxyAuth())`) on a loopback port. */
export async function startExpressApp(env: Record<string, string>): Promise<ListeningApp> {
  const app = express()
  app.use(trustedProxyAuth({ env }))
  app.use((req, res) => {
    const identity = req.trustedIdentity!
    const view: AppView = {
      subject: identity.subject,
      email: identity.email,
      name: identity.name,
      groups: [...identity.groups],
      authorizationBytes: req.get('authorization')?.length ?? 0,
      received: Object.fromEntries(FORGEABLE_HEADERS.map((name) => [name, req.get(name) ?? null])),
    }
    res.json(view)
  })
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/**
 * The recipe's FastAPI application under real uvicorn, started the way the docs say: `--no-proxy-headers`
 * so the socket peer (the proxy) is what TRUSTED_PROXY_TRUSTED_ADDRESSES sees.
 */
export async function startFastApiApp(python: string, env: Record<string, string>): Promise<ListeningApp> {
  const port = await freePort()
  const started = await startProcess(
    python,
    ['-m', 'uvicorn', 'fastapi_app:app', '--app-dir', join(import.meta.dirname, '..', '..', 'apps'), '--host', '127.0.0.1', '--port', String(port), '--no-proxy-headers', '--lifespan', 'auto'],
    { env: { PATH: process.env['PATH'], ...env }, ready: /Uvicorn running on/ },
  )
  return { url: `http://127.0.0.1:${port}`, port, stop: started.stop }
}

export interface OAuth2Proxy {
  url: string
  stop: () => Promise<void>
}

/** oauth2-proxy with the docs' config file; deployment values through OAUTH2_PROXY_* as the file says. */
export async function startOAuth2Proxy(binary: string, issuer: string): Promise<OAuth2Proxy> {
  const port = await freePort()
  const started = await startProcess(binary, ['--config', join(examplesDir, 'oauth2-proxy.cfg')], {
    env: {
      PATH: process.env['PATH'],
      OAUTH2_PROXY_OIDC_ISSUER_URL: issuer,
      OAUTH2_PROXY_CLIENT_ID: CLIENT_ID,
      OAUTH2_PROXY_CLIENT_SECRET: CLIENT_SECRET,
      OAUTH2_PROXY_COOKIE_SECRET: randomBytes(16).toString('hex'),
      // The tests speak plain HTTP on loopback; production keeps the default (Secure cookies).
      OAUTH2_PROXY_COOKIE_SECURE: 'false',
      OAUTH2_PROXY_HTTP_ADDRESS: `127.0.0.1:${port}`,
      OAUTH2_PROXY_TRUSTED_PROXY_IPS: '127.0.0.1',
      OAUTH2_PROXY_EMAIL_DOMAINS: '*',
    },
    // oauth2-proxy logs its settings once configured, then binds; the port tells when it is serving.
    ready: /Cookie settings/,
  })
  await waitForPort(port)
  return { url: `http://127.0.0.1:${port}`, stop: started.stop }
}

function hostPort(url: string): string {
  return new URL(url).host
}

/** Fills `${NAME}` placeholders the way envsubst does with an explicit variable list; any left over is an error. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  const filled = template.replace(/\$\{([A-Z0-9_]+)\}/g, (placeholder, name: string) => values[name] ?? placeholder)
  const left = filled.match(/\$\{[A-Z0-9_]+\}/g)
  if (left) throw new Error(`template placeholders without a value: ${left.join(', ')}`)
  return filled
}

export interface ProxyFront {
  /** Base URL per application name. */
  urls: Record<string, string>
  stop: () => Promise<void>
}

/** Which docs/proxies/examples file a proxy runs, and values for placeholders beyond the standard ones. */
export interface FrontOptions {
  /** A file in docs/proxies/examples; by default the oauth2-proxy recipe's. */
  example?: string
  /** More `${NAME}` (nginx) or `{$NAME}` (Caddy) values, e.g. the address of `trusted-proxy-auth serve`. */
  values?: Record<string, string>
}

/**
 * nginx running a docs/proxies/examples template (by default nginx-auth-request.conf.template), one
 * server block per application, as a foreground process with its pid, logs and temp files in `dir`.
 * Standard placeholders: NGINX_LISTEN, SERVER_NAME, OAUTH2_PROXY and APP (host:port).
 */
export async function startNginx(binary: string, dir: string, oauth2Proxy: string, apps: Record<string, string>, options: FrontOptions = {}): Promise<ProxyFront> {
  const template = readFileSync(join(examplesDir, options.example ?? 'nginx-auth-request.conf.template'), 'utf8')
  const prefix = join(dir, 'nginx')
  mkdirSync(join(prefix, 'servers'), { recursive: true })
  // Worker processes of a root master run as another user, which must reach the temp paths.
  chmodSync(dir, 0o755)
  const urls: Record<string, string> = {}
  for (const [name, upstream] of Object.entries(apps)) {
    const port = await freePort()
    urls[name] = `http://127.0.0.1:${port}`
    const values = { NGINX_LISTEN: `127.0.0.1:${port}`, SERVER_NAME: '127.0.0.1', OAUTH2_PROXY: hostPort(oauth2Proxy), APP: hostPort(upstream), ...options.values }
    writeFileSync(join(prefix, 'servers', `${name}.conf`), fillTemplate(template, values))
  }
  const temp = (name: string): string => `${name}_temp_path ${join(prefix, name)};`
  writeFileSync(
    join(prefix, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${join(prefix, 'nginx.pid')};`,
      'error_log stderr notice;',
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
      `  include ${join(prefix, 'servers')}/*.conf;`,
      '}',
    ].join('\n'),
  )
  const started = await startProcess(binary, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { ready: /start worker process/ })
  return { urls, stop: started.stop }
}

/**
 * Caddy running a docs/proxies/examples Caddyfile (by default caddy-forward-auth.Caddyfile), one
 * instance per application (the file is one site). Standard placeholders: SITE_ADDRESS, OAUTH2_PROXY
 * and APP. The Caddyfile is adapted to JSON first only to turn off the admin API, whose fixed default
 * port would collide between instances.
 */
export async function startCaddy(binary: string, dir: string, oauth2Proxy: string, apps: Record<string, string>, options: FrontOptions = {}): Promise<ProxyFront> {
  const urls: Record<string, string> = {}
  const stops: Array<() => Promise<void>> = []
  for (const [name, upstream] of Object.entries(apps)) {
    const port = await freePort()
    urls[name] = `http://127.0.0.1:${port}`
    const home = join(dir, `caddy-${name}`)
    mkdirSync(home, { recursive: true })
    const env = {
      PATH: process.env['PATH'],
      HOME: home,
      XDG_DATA_HOME: home,
      XDG_CONFIG_HOME: home,
      SITE_ADDRESS: `http://127.0.0.1:${port}`,
      OAUTH2_PROXY: hostPort(oauth2Proxy),
      APP: hostPort(upstream),
      ...options.values,
    }
    const adapted = await runProcess(binary, ['adapt', '--config', join(examplesDir, options.example ?? 'caddy-forward-auth.Caddyfile'), '--adapter', 'caddyfile'], env)
    if (adapted.code !== 0) throw new Error(`caddy adapt failed:\n${adapted.output}`)
    const config = JSON.parse(adapted.output.slice(adapted.output.indexOf('{'))) as Record<string, unknown>
    config['admin'] = { disabled: true }
    const configPath = join(home, 'caddy.json')
    writeFileSync(configPath, JSON.stringify(config))
    const started = await startProcess(binary, ['run', '--config', configPath], { env, ready: /serving initial configuration/ })
    stops.push(started.stop)
  }
  return { urls, stop: async () => void (await Promise.all(stops.map((stop) => stop()))) }
}

export { repoRoot }
