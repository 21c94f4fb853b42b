import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as TestingKitModule from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startApps, type RunningApps } from './support/hello-world-server.js'
import { installedVersion } from './support/repo.js'
import { baseEnv, run, runOk } from './support/run.js'

type TestingKit = typeof TestingKitModule

const fixtures = join(import.meta.dirname, '..', 'fixtures')
const FRAMEWORKS = ['express5', 'express4', 'fastify5', 'hono4', 'koa3', 'koa2'] as const
let project: string
let kit: TestingKit
let issuer: Awaited<ReturnType<TestingKit['startTestIssuer']>>
let appEnv: NodeJS.ProcessEnv

/** The frameworks at the versions the repository installs (so npm finds them in its cache), both majors of each. */
function frameworkDependencies(): Record<string, string> {
  return {
    express: installedVersion('express'),
    express4: `npm:express@${installedVersion('express4')}`,
    fastify: installedVersion('fastify'),
    hono: installedVersion('hono'),
    '@hono/node-server': installedVersion('@hono/node-server'),
    koa: installedVersion('koa'),
    koa2: `npm:koa@${installedVersion('koa2')}`,
  }
}

beforeAll(async () => {
  project = join(inject('workDir'), 'npm-project')
  mkdirSync(project)
  const tarballs = Object.fromEntries(Object.entries(inject('tarballs')).map(([name, file]) => [name, `file:${file}`]))
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'smoke-project', version: '0.0.0', private: true, dependencies: { ...tarballs, ...frameworkDependencies() } }, null, 2),
  )
  // Offline from the npm cache where it can be: the repository's own install put every version there.
  await runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: project })
  for (const name of ['hello-world.mjs', 'hello-world.cjs']) copyFileSync(join(fixtures, name), join(project, name))
  // The loopback issuer comes from the installed testing tarball too (its CommonJS entry).
  const entry = createRequire(join(project, 'package.json')).resolve('@mieweb/trusted-proxy-auth-testing')
  kit = (await import(pathToFileURL(entry).href)) as TestingKit
  issuer = await kit.startTestIssuer()
  appEnv = baseEnv(kit.envFor(issuer))
})

afterAll(async () => {
  await issuer?.close()
})

describe.each([
  ['ESM import', 'hello-world.mjs'],
  ['CommonJS require', 'hello-world.cjs'],
])('installed tarballs, %s', (_kind, script) => {
  let apps: RunningApps
  beforeAll(async () => {
    apps = await startApps(process.execPath, [script], project, appEnv)
  })
  afterAll(async () => {
    await apps?.stop()
  })

  it.each(FRAMEWORKS)('%s: 200 with the identity for a good assertion, 401 without one', async (framework) => {
    const url = `${apps.urls[framework]}/me`
    const good = await fetch(url, { headers: kit.proxyHeaders(await issuer.sign()) })
    expect(good.status).toBe(200)
    expect(await good.json()).toMatchObject({ subject: kit.DEFAULT_TEST_SUBJECT, issuer: issuer.issuer })
    const none = await fetch(url)
    expect(none.status).toBe(401)
    expect(await none.json()).toMatchObject({ code: 'missing_assertion' })
  })
})

describe('installed CLI and testing kit', () => {
  it('the trusted-proxy-auth bin verifies (exit 0) and rejects (exit 1) with env settings only', async () => {
    const bin = join(project, 'node_modules', '.bin', 'trusted-proxy-auth')
    const good = await run(bin, ['verify', '-'], { env: appEnv, input: await issuer.sign() })
    expect(good.code).toBe(0)
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, identity: { subject: kit.DEFAULT_TEST_SUBJECT } })
    const bad = await run(bin, ['verify', 'not-a-token'], { env: appEnv })
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { code: 'malformed_assertion' } })
  })

  it('the testing kit works without msw installed; only its /msw subpath needs it', async () => {
    expect(existsSync(join(project, 'node_modules', 'msw'))).toBe(false)
    const node = (args: string[]) => run(process.execPath, args, { cwd: project, env: baseEnv() })
    expect((await node(['--input-type=module', '-e', "await import('@mieweb/trusted-proxy-auth-testing')"])).code).toBe(0)
    expect((await node(['-e', "require('@mieweb/trusted-proxy-auth-testing')"])).code).toBe(0)
    const msw = await node(['--input-type=module', '-e', "await import('@mieweb/trusted-proxy-auth-testing/msw')"])
    expect(msw.code).not.toBe(0)
    expect(msw.stderr).toMatch(/Cannot find (package|module) 'msw'/)
  })
})
