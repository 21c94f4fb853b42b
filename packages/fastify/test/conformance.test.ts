import { runAdapterConformance } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { createApp } from './app.js'

runAdapterConformance({ name: 'fastify', createApp })
