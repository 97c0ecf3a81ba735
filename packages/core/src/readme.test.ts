import { afterEach, expect, it, vi } from 'vitest';
import { type BareServer, startServer } from '../test/http-server.ts';
import { createFetch, editable, type Middleware } from './index.ts';

let server: BareServer | undefined;
afterEach(async () => {
  await server?.close();
  vi.restoreAllMocks();
});

it('runs the README example: two middlewares over plain fetch', async () => {
  server = await startServer((_request, response) => response.end('[]'));
  const logged: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void logged.push(line));

  // --- README example (API URL pointed at the local server) ---
  const userAgent: Middleware = async function userAgent(request, context, next) {
    const stamped = editable(request, context);
    stamped.headers.set('user-agent', 'inventory-sync/1.0');
    return next(stamped, context);
  };
  const timing: Middleware = async function timing(request, context, next) {
    const startMs = context.clock.now();
    const response = await next(request, context);
    console.log(`${request.method} ${response.status} in ${context.clock.now() - startMs} ms`);
    return response;
  };
  const fetch = createFetch({ use: [timing, userAgent] });
  const response = await fetch(`${server.url}/items`);
  // --- end of example ---

  expect(await response.json()).toEqual([]);
  expect(server.received[0]?.headers['user-agent']).toBe('inventory-sync/1.0');
  expect(logged[0]).toMatch(/^GET 200 in \d+ ms$/);
});
