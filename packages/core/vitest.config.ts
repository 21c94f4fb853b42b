import { configDefaults, defineConfig } from 'vitest/config'
import { MODULE_MOCKING_FILES } from './test/module-mocking-files.js'

export default defineConfig({
  test: {
    // Watchdogs against a hang, not limits on speed: on a busy 2-core machine key generation, compiling and
    // process starts take many times longer than on a quiet one, and that must never fail a test.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...MODULE_MOCKING_FILES],
          // These files replace no module, use no fake timers or stubbed globals, close their msw servers and read
          // the signature workers' counters as differences within a file, so they may share a worker's module
          // cache: a third less CPU than importing jose, msw and the library again for every file.
          isolate: false,
        },
      },
      {
        extends: true,
        // A replaced module would stay in a shared worker's module cache for the files after it (module-mocking-files.ts).
        test: { name: 'module-mocks', include: [...MODULE_MOCKING_FILES], isolate: true },
      },
    ],
  },
})
