import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Watchdogs against a hang, not limits on speed: on a busy 2-core machine process starts and proxies take
    // many times longer than on a quiet one, and that must never fail a test.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
