import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The files share no module state that decides a test (no module mocks, fake timers, stubbed globals or
    // environment; every server a test starts is closed by it), so they may share a worker: about a third less
    // CPU than importing the framework, jose and the library again for every file (packages/smoke runs these
    // suites under Node 22 and 24 too).
    isolate: false,
    // Watchdogs against a hang, not limits on speed: on a busy 2-core machine key generation, compiling and
    // process starts take many times longer than on a quiet one, and that must never fail a test.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // test/*.test-d.ts are checked by the `typecheck` task (tsc over test/: a failed expectTypeOf is a compile
    // error); running the compiler again here would double the cost.
  },
})
