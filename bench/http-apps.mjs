// One HTTP app of the HTTP benchmark, in a process of its own: `node http-apps.mjs <app>`. It listens on a free
// loopback port, prints that port on the first line of stdout, and stops on SIGTERM. Every app answers GET /
// with a small text body; the checked ones first verify the assertion in the header the bench sends. Started with
// an IPC channel, it answers the message 'cpu' with its CPU time so far (process.cpuUsage(): { user, system } µs).
//   <framework>-bare        the framework's hello route, nothing else
//   <framework>-ours        the same behind our adapter (configured by the TRUSTED_PROXY_* environment)
//   express-jwt             express-jwt + jwks-rsa (key set from BENCH_JWKS_URL, cached), the same checks
//   fastify-jwt             @fastify/jwt with the public key (BENCH_PUBLIC_PEM), the same checks
import { createServer } from 'node:http'

const app = process.argv[2]
const [framework, variant] = app.split('-')
const HELLO = 'hello'
const ISSUER = process.env.TRUSTED_PROXY_ISSUER
const AUDIENCE = process.env.TRUSTED_PROXY_AUDIENCE
const HEADER = (process.env.TRUSTED_PROXY_ASSERTION_HEADER ?? '').toLowerCase()

/**
 * Our adapter, its keys loaded before the app listens (as a deployment whose readiness check waits for
 * `verifier.ready()`). Why: when the first key fetch (Node's fetch) completes while the server is already warming
 * up under load, Node 20's V8 was seen to fall into a slow path for the tick objects of process.nextTick
 * (Runtime_DefineKeyedOwnPropertyInLiteral + JSObject::MigrateToMap in `perf`) for the rest of the process:
 * 5-10 µs of CPU per request, in whichever code makes the tick, and only in the processes where it happened.
 */
async function readyAdapter(packageName) {
  const auth = (await import(packageName)).trustedProxyAuth()
  await auth.verifier?.ready()
  return auth
}

function listening(server) {
  process.stdout.write(`${server.address().port}\n`)
  process.on('message', (message) => {
    if (message !== 'cpu') return
    process.send?.(process.cpuUsage())
  })
  process.on('SIGTERM', () => {
    server.closeAllConnections?.()
    server.close(() => process.exit(0))
  })
}

async function expressApp() {
  const { default: express } = await import('express')
  const application = express()
  if (variant === 'ours') application.use(await readyAdapter('@mieweb/trusted-proxy-auth-express'))
  if (variant === 'jwt') {
    const { expressjwt } = await import('express-jwt')
    const { default: jwksRsa } = await import('jwks-rsa')
    application.use(
      expressjwt({
        secret: jwksRsa.expressJwtSecret({ jwksUri: process.env.BENCH_JWKS_URL, cache: true, rateLimit: true }),
        algorithms: ['RS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        getToken: (request) => request.headers[HEADER],
      }),
    )
  }
  application.get('/', (_request, response) => response.send(HELLO))
  const server = createServer(application)
  server.listen(0, '127.0.0.1', () => listening(server))
}

async function fastifyApp() {
  const { default: Fastify } = await import('fastify')
  const application = Fastify()
  if (variant === 'ours') await application.register(await readyAdapter('@mieweb/trusted-proxy-auth-fastify'))
  if (variant === 'jwt') {
    const { default: fastifyJwt } = await import('@fastify/jwt')
    await application.register(fastifyJwt, {
      secret: { public: process.env.BENCH_PUBLIC_PEM },
      verify: { algorithms: ['RS256'], allowedIss: ISSUER, allowedAud: AUDIENCE, extractToken: (request) => request.headers[HEADER] },
    })
    application.addHook('onRequest', (request) => request.jwtVerify())
  }
  application.get('/', () => HELLO)
  await application.listen({ port: 0, host: '127.0.0.1' })
  listening(application.server)
}

async function honoApp() {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const application = new Hono()
  if (variant === 'ours') application.use(await readyAdapter('@mieweb/trusted-proxy-auth-hono'))
  application.get('/', (context) => context.text(HELLO))
  const server = serve({ fetch: application.fetch, port: 0, hostname: '127.0.0.1' }, () => listening(server))
}

async function koaApp() {
  const { default: Koa } = await import('koa')
  const application = new Koa()
  if (variant === 'ours') application.use(await readyAdapter('@mieweb/trusted-proxy-auth-koa'))
  application.use((context) => {
    context.body = HELLO
  })
  const server = createServer(application.callback())
  server.listen(0, '127.0.0.1', () => listening(server))
}

const apps = { express: expressApp, fastify: fastifyApp, hono: honoApp, koa: koaApp }
if (!apps[framework] || !['bare', 'ours', 'jwt'].includes(variant)) throw new Error(`unknown app ${app}`)
await apps[framework]()
