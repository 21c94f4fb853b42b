import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Watchdogs against a hang, not limits on speed: on a busy 2-core machine key generation, compiling and
    // process starts take many times longer than on a quiet one, and that must never fail a test.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // test/*.test-d.ts are checked by the `typecheck` task (tsc over test/: a failed expectTypeOf is a compile
    // error); running the compiler again here would double the cost.
  },
})
