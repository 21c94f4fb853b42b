import { createRequire } from 'node:module'
import { runAdapterConformance } from '@mieweb/trusted-proxy-auth-testing/conformance'
import express4 from 'express4'
import { expect, it } from 'vitest'
import { createApp, createAuthError } from './app.js'

// The peer range promises Express 4 (>= 4.22) as well as 5: the same suite against the `express4` alias.
runAdapterConformance({ name: 'express 4', createApp: (options) => createApp(options, express4), createAuthError })

it('the express4 alias really is Express 4', () => {
  expect(createRequire(import.meta.url)('express4/package.json')).toMatchObject({ version: expect.stringMatching(/^4\./) })
})
