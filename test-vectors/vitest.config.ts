import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Regenerating every vector signs hundreds of tokens; on a loaded 2-core machine that takes a while.
    hookTimeout: 180_000,
  },
})
