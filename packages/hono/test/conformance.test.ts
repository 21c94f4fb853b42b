import { runAdapterConformance } from '@mieweb/trusted-proxy-auth-testing/conformance'
import { createAuthError, createInProcessApp, createNodeServerApp } from './app.js'

runAdapterConformance({ name: 'hono (@hono/node-server)', createApp: createNodeServerApp, createAuthError })
runAdapterConformance({ name: 'hono (app.request)', transport: 'in-process', createApp: createInProcessApp, createAuthError })
runAdapterConformance({ name: 'hono protect(handler) (@hono/node-server)', createApp: (options) => createNodeServerApp(options, 'protect'), createAuthError })
runAdapterConformance({ name: 'hono protect(handler) (app.request)', transport: 'in-process', createApp: (options) => createInProcessApp(options, 'protect'), createAuthError })
