import { runAdapterConformance } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { createApp, createAuthError } from './app.js'

runAdapterConformance({ name: 'fastify', createApp, createAuthError })
