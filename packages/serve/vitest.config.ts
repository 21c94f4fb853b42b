import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The files share no module state that decides a test (no module mocks, fake timers, stubbed globals or
    // environment; every process and server a test starts is stopped by it), so they may share a worker: less
    // CPU than importing the service, jose and the library again for every file.
    isolate: false,
    // Watchdogs against a hang, not limits on speed: on a busy 2-core machine process starts and proxies take
    // many times longer than on a quiet one, and that must never fail a test.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
