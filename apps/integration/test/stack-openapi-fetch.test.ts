import { apiKey } from '@ferrule/auth';
import { cache } from '@ferrule/cache';
import { createFetch, type FetchFunction, isTimeoutError, type TimeoutError } from '@ferrule/core';
import { concurrency, rateLimit } from '@ferrule/rate-limit';
import { resilience } from '@ferrule/resilience';
import {
  createTestServer,
  type RecordedRequest,
  type ResponseSpec,
  type TestServer,
  waitUntil,
} from '@ferrule/testing/vitest';
import createOpenApiClient from 'openapi-fetch';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { components, paths } from './support/catalog-openapi.ts';
import { recommendedChain } from './support/chain.ts';
import { type Observed, observe } from './support/observe.ts';

// openapi-fetch calls `fetch(request)` with a Request of its own: per-call options cannot travel on
// `init`, so the SDK's calls are steered by route rules configured on the middlewares.
const API_KEY = 'catalog-api-key-0c7d1e';
type Product = components['schemas']['Product'];

let server: TestServer;
const refused = (request: RecordedRequest): ResponseSpec | undefined =>
  request.headers['x-api-key'] === API_KEY ? undefined : { status: 401, json: { error: 'bad key' } };
const writes = { inFlight: 0, maxInFlight: 0, keys: [] as string[] };
beforeAll(async () => {
  server = await createTestServer({
    // No caching headers at all: only the cache's TTL rule makes these cacheable.
    'GET /products/*': (request) =>
      refused(request) ?? { json: { id: Number(request.url.split('/').at(-1)), name: 'Brass ferrule', stock: 318 } },
    'POST /products': async (request, { count }) => {
      const refusal = refused(request);
      if (refusal) return refusal;
      writes.keys.push(request.headers['idempotency-key'] ?? '');
      writes.inFlight++;
      writes.maxInFlight = Math.max(writes.maxInFlight, writes.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      writes.inFlight--;
      if (count === 1) return { status: 503 };
      const body = request.json() as { name: string; stock: number };
      return { status: 201, json: { id: 100 + count, ...body } };
    },
    'GET /reports/*': (request) => refused(request) ?? { delayMs: 1_000, json: { name: 'sales', rows: 10 } },
  });
});

function stack(): { fetch: FetchFunction; observed: Observed } {
  const observed = observe({
    routes: [
      { match: 'GET /products/*', name: '/products/{id}' },
      { match: 'GET /reports/*', name: '/reports/{name}' },
    ],
  });
  const fetch = createFetch({
    use: recommendedChain({
      observability: observed.middlewares,
      cache: cache({ rules: [{ match: 'GET /products/*', ttlMs: 60_000 }] }),
      resilience: resilience({
        idempotencyKey: true,
        timeout: { attemptMs: 2_000, totalMs: 10_000, routes: [{ match: 'GET /reports/*', attemptMs: 50 }] },
        retry: { backoff: { initialDelayMs: 5 }, routes: [{ match: 'GET /reports/*', maxAttempts: 2 }] },
      }),
      rateLimit: rateLimit({
        routes: [{ match: 'POST /products', policy: concurrency({ max: 1 }), key: 'catalog-writes' }],
      }),
      auth: apiKey({ header: 'x-api-key', value: API_KEY }),
    }),
    onEvent: observed.onEvent,
  });
  return { fetch, observed };
}

describe('the full stack under openapi-fetch (createFetch as its fetch)', () => {
  it('reads typed data, and a TTL route rule caches an API that sends no caching headers', async () => {
    server.reset();
    const { fetch, observed } = stack();
    const client = createOpenApiClient<paths>({ baseUrl: server.url, fetch });

    const first = await client.GET('/products/{id}', { params: { path: { id: 7 } } });
    const again = await client.GET('/products/{id}', { params: { path: { id: 7 } } });

    expectTypeOf(first.data).toEqualTypeOf<Product | undefined>();
    expect(first.data).toEqual({ id: 7, name: 'Brass ferrule', stock: 318 });
    expect(again.data).toEqual(first.data);
    expect(server.requestsTo('GET /products/*')).toHaveLength(1);
    expect(observed.eventsOf('cache').map((event) => event.status)).toEqual(['miss', 'stored', 'hit']);
    expect(observed.spans().map((span) => span.attributes['url.template'])).toContain('/products/{id}');
  });

  it('route rules stand in for per-call options: a slow report gets 50 ms per attempt and two attempts', async () => {
    server.reset();
    const { fetch, observed } = stack();
    const client = createOpenApiClient<paths>({ baseUrl: server.url, fetch });

    const error = await client
      .GET('/reports/{name}', { params: { path: { name: 'sales' } } })
      .catch((caught: unknown) => caught);

    expect(isTimeoutError(error) && [(error as TimeoutError).scope, (error as TimeoutError).timeoutMs]).toEqual([
      'attempt',
      50,
    ]);
    expect(server.requestsTo('GET /reports/*')).toHaveLength(2);
    await waitUntil(() => server.requestsTo('GET /reports/*').every((request) => request.aborted));
    expect(observed.eventsOf('timeout').map((event) => event.scope)).toEqual(['attempt', 'attempt']);
    // Other routes keep the default limits: a product answers as usual.
    expect((await client.GET('/products/{id}', { params: { path: { id: 1 } } })).response.status).toBe(200);
  });

  it('sends POSTs one at a time under a route rule, each with its own Idempotency-Key kept across a retry', async () => {
    server.reset();
    writes.keys.length = 0;
    writes.maxInFlight = 0;
    const { fetch, observed } = stack();
    const client = createOpenApiClient<paths>({ baseUrl: server.url, fetch });

    const created = await Promise.all(
      ['Brass', 'Steel', 'Copper'].map((name) => client.POST('/products', { body: { name, stock: 1 } })),
    );

    expect(created.map((result) => result.response.status)).toEqual([201, 201, 201]);
    expect(created.map((result) => result.data?.name)).toEqual(['Brass', 'Steel', 'Copper']);
    expect(writes.maxInFlight).toBe(1);
    // Four requests for three calls: the first was answered 503 and retried (behind the queued two) with
    // the same key.
    expect(writes.keys).toHaveLength(4);
    expect(writes.keys.filter((key) => key === writes.keys[0])).toHaveLength(2);
    expect(new Set(writes.keys).size).toBe(3);
    expect(observed.eventsOf('ratelimit').every((event) => event.key === 'catalog-writes')).toBe(true);
    // The two calls behind the first waited, and so did the retry, behind them.
    expect(observed.eventsOf('ratelimit').filter((event) => event.action === 'waited')).toHaveLength(3);
  });

  it('carries client-wide ferrule options on openapi-fetch’s requestInitExt (its per-call init keys stay on the Request)', async () => {
    server.reset();
    const { fetch } = stack();
    const client = createOpenApiClient<paths>({
      baseUrl: server.url,
      fetch,
      requestInitExt: { ferrule: { cache: { bypass: true } } },
    });

    await client.GET('/products/{id}', { params: { path: { id: 3 } } });
    await client.GET('/products/{id}', { params: { path: { id: 3 } } });

    expect(server.requestsTo('GET /products/*')).toHaveLength(2);
  });
});
