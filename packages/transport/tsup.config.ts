import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/undici.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'es2023',
  dts: true,
  sourcemap: true,
  clean: true,
  // Keep `node:zlib` as written: the subpath is Node-only and says so.
  removeNodeProtocol: false,
});
