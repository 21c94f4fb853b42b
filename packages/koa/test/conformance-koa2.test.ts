import { createRequire } from 'node:module'
import { runAdapterConformance } from '@mieweb/trusted-proxy-auth-testing/conformance'
import Koa2 from 'koa2'
import { expect, it } from 'vitest'
import { createApp, createAuthError } from './app.js'

// The peer range promises Koa 2 as well as 3: the same suite against the `koa2` alias.
runAdapterConformance({ name: 'koa 2', createApp: (options) => createApp(options, Koa2), createAuthError })

it('the koa2 alias really is Koa 2', () => {
  expect(createRequire(import.meta.url)('koa2/package.json')).toMatchObject({ version: expect.stringMatching(/^2\./) })
})
