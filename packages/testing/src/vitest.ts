import { afterAll, onTestFinished } from 'vitest';
import {
  createTestServer as createServer,
  type RouteSpec,
  type TestServer,
  type TestServerOptions,
} from './test-server.ts';

export { describeCacheStore } from './cache-store-contract.ts';
export * from './index.ts';
export { describeRateLimitStore } from './rate-limit-store-contract.ts';
export type { StoreContractEnv, StoreContractOptions } from './store-contract-env.ts';
export { describeTokenStore } from './token-store-contract.ts';

const open = new Set<TestServer>();
// Servers started outside a test (in beforeAll) close when the file's tests are done.
afterAll(async () => {
  await Promise.all([...open].map((server) => server.close()));
  open.clear();
});

/**
 * {@link createServer | createTestServer}, closing itself when the test that started it ends (or,
 * when started in a `beforeAll`, when the file's tests are done).
 * @example
 * const server = await createTestServer({ 'GET /items': { json: [] } });
 */
export async function createTestServer(
  routes?: Record<string, RouteSpec>,
  options?: TestServerOptions,
): Promise<TestServer> {
  const server = await createServer(routes, options);
  open.add(server);
  const close = server.close;
  const tracked: TestServer = {
    ...server,
    close: async () => {
      open.delete(tracked);
      await close();
    },
  };
  tracked[Symbol.asyncDispose] = tracked.close;
  try {
    onTestFinished(() => tracked.close());
  } catch {
    // Not inside a test: the file-level afterAll closes it.
  }
  open.delete(server);
  open.add(tracked);
  return tracked;
}
