import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

// What test/node-versions.test.ts runs under Node 22 and 24 (Node 20 runs every suite in the normal test task):
// the four adapter suites (conformance against each framework major included) and the core files that touch
// the runtime — WebCrypto signatures, fetch and the loopback key server, Node's http module, header parsing,
// configuration. The vector and CLI files are left to Node 20: they repeat the same runtime calls per vector.
const packages = join(import.meta.dirname, '..')
const adapter = (name: string) => ({
  extends: join(packages, name, 'vitest.config.ts'),
  test: { name, root: join(packages, name), typecheck: { enabled: false } },
})

export const CORE_FILES = [
  'test/verifier.test.ts',
  'test/rotation-loopback.test.ts',
  'test/node-http.test.ts',
  'test/request-headers.test.ts',
  'test/config.test.ts',
  'test/presets-keys.test.ts',
]

export default defineConfig({
  test: {
    projects: [
      // Not `extends` of the core's config: vitest would add its include (every file) to this one.
      // isolate: false as the core's own config has it (its files share no module state that decides a test).
      { test: { name: 'core', root: join(packages, 'core'), include: CORE_FILES, isolate: false, testTimeout: 180_000, hookTimeout: 180_000 } },
      adapter('express'),
      adapter('fastify'),
      adapter('hono'),
      adapter('koa'),
    ],
  },
})
