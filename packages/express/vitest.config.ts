import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // test/*.test-d.ts are checked by the `typecheck` task (tsc over test/: a failed expectTypeOf is a compile
    // error); running the compiler again here would double the cost.
  },
})
