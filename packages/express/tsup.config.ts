import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps in the package: see packages/core/tsup.config.ts.
  sourcemap: false,
  clean: true,
  target: 'node20',
})
