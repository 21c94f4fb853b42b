import { defineConfig } from 'tsup'

// The CLI and the library share one ESM build with code splitting, so dist/cli/main.js imports the library's
// chunk instead of bundling a second copy of it. No source maps in the package: the output is unminified,
// type-stripped TypeScript that reads like the source, maps with `sourcesContent` would double the tarball,
// and maps without it point at src/ files the tarball does not ship.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    splitting: true,
    dts: { entry: { index: 'src/index.ts' } },
    sourcemap: false,
    clean: true,
    target: 'node20',
  },
  // The CommonJS types are the ESM ones, byte for byte: package.json's build copies dist/index.d.ts to
  // dist/index.d.cts rather than have rollup build the same declarations twice (about 9 s of CPU a build).
  {
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    dts: false,
    sourcemap: false,
    target: 'node20',
  },
])
