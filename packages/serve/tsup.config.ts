import { defineConfig } from 'tsup'

// No source maps in the package (see packages/core/tsup.config.ts). The library entry ships as ESM and CJS
// like every package here; the bin is ESM only.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
    format: ['esm'],
    dts: { entry: { index: 'src/index.ts' } },
    sourcemap: false,
    clean: true,
    target: 'node20',
  },
  {
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    dts: { entry: { index: 'src/index.ts' } },
    sourcemap: false,
    target: 'node20',
  },
])
