import { packageBuild } from '../../tsup.shared.ts';

export default packageBuild({
  entry: ['src/index.ts', 'src/undici.ts'],
  platform: 'node',
  // Keep `node:zlib` as written: the subpath is Node-only and says so.
  removeNodeProtocol: false,
});
