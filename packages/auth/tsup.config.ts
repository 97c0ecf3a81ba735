import { packageBuild } from '../../tsup.shared.ts';

export default packageBuild({
  entry: ['src/index.ts'],
  // Rollup over esbuild's output: one import per external module and finer tree-shaking.
  treeshake: true,
});
