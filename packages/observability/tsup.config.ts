import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/otel.ts'],
  format: ['esm'],
  platform: 'neutral',
  target: 'es2023',
  dts: true,
  sourcemap: true,
  clean: true,
});
