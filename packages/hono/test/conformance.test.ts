import { runAdapterConformance } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { createInProcessApp, createNodeServerApp } from './app.js'

runAdapterConformance({ name: 'hono (@hono/node-server)', createApp: createNodeServerApp })
runAdapterConformance({ name: 'hono (app.request)', transport: 'in-process', createApp: createInProcessApp })
