// One HTTP app of the HTTP benchmark, in a process of its own: `node http-apps.mjs <app>`. It listens on a free
// loopback port, prints that port on the first line of stdout, and stops on SIGTERM. Every app answers GET /
// with a small text body; the checked ones first verify the assertion in the header the bench sends. Started with
// an IPC channel, it answers the message 'cpu' with its CPU time so far (process.cpuUsage(): { user, system } µs).
//   <framework>-bare        the framework's hello route, nothing else
//   <framework>-ours        the same behind our adapter (configured by the TRUSTED_PROXY_* environment)
//   express-jwt             express-jwt + jwks-rsa (key set from BENCH_JWKS_URL, cached), the same checks
//   fastify-jwt             @fastify/jwt with the public key (BENCH_PUBLIC_PEM), the same checks
//   <framework>-noop        the same behind a middleware that does nothing but go on (the framework's own cost of
//                           any middleware)
//   hono-protect            ours as the route's only handler (`auth.protect(handler)`): Hono runs a one-handler route
//                           without composing middleware
//   <framework>-pair        bare, noop and ours (and hono's protect) in this one process, each on a port of its own:
//                           the first line is "<bare port> <noop port> <ours port> [<protect port>]" (the
//                           same-process comparison of http-throughput.mjs)
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

/** Resolves with the node:http server once it listens on a free loopback port. */
function listening(server) {
  return new Promise((resolve) => (server.listening ? resolve(server) : server.once('listening', () => resolve(server))))
}

async function expressApp(variant) {
  const { default: express } = await import('express')
  const application = express()
  if (variant === 'ours') application.use(await readyAdapter('@mieweb/trusted-proxy-auth-express'))
  if (variant === 'noop') application.use((_request, _response, next) => next())
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
  // express-jwt's refusal (the bench's check without an assertion) answered as a 401, not logged with its stack.
  if (variant === 'jwt') application.use((error, _request, response, _next) => response.status(error.status ?? 500).end())
  return listening(createServer(application).listen(0, '127.0.0.1'))
}

async function fastifyApp(variant) {
  const { default: Fastify } = await import('fastify')
  const application = Fastify()
  if (variant === 'ours') await application.register(await readyAdapter('@mieweb/trusted-proxy-auth-fastify'))
  if (variant === 'noop') application.addHook('onRequest', (_request, _reply, done) => done())
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
  return application.server
}

async function honoApp(variant) {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const application = new Hono()
  if (variant === 'ours') application.use(await readyAdapter('@mieweb/trusted-proxy-auth-hono'))
  if (variant === 'noop') application.use((_context, next) => next())
  const hello = (context) => context.text(HELLO)
  application.get('/', variant === 'protect' ? (await readyAdapter('@mieweb/trusted-proxy-auth-hono')).protect(hello) : hello)
  return listening(serve({ fetch: application.fetch, port: 0, hostname: '127.0.0.1' }))
}

async function koaApp(variant) {
  const { default: Koa } = await import('koa')
  const application = new Koa()
  if (variant === 'ours') application.use(await readyAdapter('@mieweb/trusted-proxy-auth-koa'))
  if (variant === 'noop') application.use((_context, next) => next())
  application.use((context) => {
    context.body = HELLO
  })
  return listening(createServer(application.callback()).listen(0, '127.0.0.1'))
}

const apps = { express: expressApp, fastify: fastifyApp, hono: honoApp, koa: koaApp }
if (!apps[framework] || !['bare', 'ours', 'jwt', 'noop', 'pair', ...(framework === 'hono' ? ['protect'] : [])].includes(variant)) throw new Error(`unknown app ${app}`)
const pairVariants = ['bare', 'noop', 'ours', ...(framework === 'hono' ? ['protect'] : [])]
const servers = []
for (const each of variant === 'pair' ? pairVariants : [variant]) servers.push(await apps[framework](each))
process.stdout.write(`${servers.map((server) => server.address().port).join(' ')}\n`)
process.on('message', (message) => {
  if (message !== 'cpu') return
  process.send?.(process.cpuUsage())
})
process.on('SIGTERM', () => {
  let open = servers.length
  for (const server of servers) {
    server.closeAllConnections?.()
    server.close(() => --open === 0 && process.exit(0))
  }
})
