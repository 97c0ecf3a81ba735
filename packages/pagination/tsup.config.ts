import { packageBuild } from '../../tsup.shared.ts';

export default packageBuild({
  entry: ['src/index.ts'],
  // Rollup's tree shaking also merges the imports of each dependency into one statement.
  treeshake: true,
});
