import { readFileSync } from 'node:fs';
import { createTestServer, type TestServer } from '@ferrule/testing/vitest';
import { expect, it } from 'vitest';

// Runs every TypeScript example of the README, its API URL pointed at a local test server, so the
// examples never rot.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string);

async function run(source: string, server: TestServer, prelude = ''): Promise<void> {
  const body = `${prelude}\n${source}`
    .replaceAll('https://api.example.com', server.url)
    .replace(/^import \{([^}]*)\} from '@ferrule\/(core|rate-limit)';$/gm, (_line, names: string, from: string) =>
      from === 'core' ? `const {${names}} = core;` : `const {${names}} = rateLimitPackage;`,
    );
  const core = await import('@ferrule/core');
  const rateLimitPackage = await import('./index.ts');
  const AsyncFunction = (async () => {}).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  await new AsyncFunction('core', 'rateLimitPackage', body)(core, rateLimitPackage);
}

it('has the examples this test runs', () => {
  expect(examples).toHaveLength(3);
});

it('runs the main example: 50 calls at 10 per second, at most 4 in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const server = await createTestServer({
    'GET /items/:id': async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return { json: { ok: true } };
    },
  });
  await run(examples[0] as string, server);
  expect(server.requestsTo('GET /items/:id')).toHaveLength(50);
  expect(most).toBeLessThanOrEqual(4);
}, 15_000);

it('runs the routes example: tenant keys, a rule with a cost', async () => {
  const server = await createTestServer({ 'GET /reports/*': { json: [] } });
  await run(examples[1] as string, server);
  expect(server.requests.map((request) => [request.url, request.headers['x-tenant-id']])).toEqual([
    ['/reports/2024', 'acme'],
  ]);
});

it('runs the per-call example on the main client', async () => {
  const server = await createTestServer({ 'GET /export': { json: [] } });
  const client = (examples[0] as string).split('\n\nconst ids')[0] as string;
  await run(examples[2] as string, server, client);
  expect(server.requestsTo('GET /export')).toHaveLength(1);
});
