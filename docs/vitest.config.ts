import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Type-checking the guide's TypeScript blocks starts a compiler program.
    testTimeout: 60_000,
  },
})
