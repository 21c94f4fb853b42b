import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  // No source maps in the package (see packages/core/tsup.config.ts).
  sourcemap: false,
  clean: true,
  target: 'node20',
})
