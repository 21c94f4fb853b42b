import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The files share no mutable module state that decides a test (the one module mock, of node:crypto in
    // key-material-verdicts.test.ts, loads its module afresh after vi.resetModules; no fake timers or stubbed
    // globals; each msw server is closed by its file; the signature workers' counters are read as differences
    // within a file), so they may share a worker: a third less CPU than importing jose, msw and the library
    // again for every file.
    isolate: false,
    // Watchdogs against a hang, not limits on speed: on a busy 2-core machine key generation, compiling and
    // process starts take many times longer than on a quiet one, and that must never fail a test.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
