import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each file starts real servers once (beforeAll) and drives many requests through them.
    hookTimeout: 300_000,
    testTimeout: 180_000,
  },
})
