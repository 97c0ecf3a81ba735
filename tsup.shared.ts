import { defineConfig, type Options } from 'tsup';

/**
 * The build every public package shares: ESM with declarations and sourcemaps, for ES2023 runtimes.
 * A package passes its entries and whatever it does differently (a Node-only platform, a subpath).
 */
export const packageBuild = (options: Options & { entry: string[] }) =>
  defineConfig({
    format: ['esm'],
    platform: 'neutral',
    target: 'es2023',
    dts: true,
    sourcemap: true,
    clean: true,
    ...options,
  });
