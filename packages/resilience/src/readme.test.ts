// The README's examples, run against local test servers: only the API URLs differ.
import { createFetch, memoryStore } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import {
  bulkhead,
  type CircuitSnapshot,
  circuitBreaker,
  fallback,
  hedge,
  resilience,
  retry,
  retryBudget,
} from './index.ts';

describe('README examples', () => {
  it('runs the example: fallback over the preset, retrying a 503', async () => {
    const server = await createTestServer({ 'GET /items': [{ status: 503 }, { json: { items: [1, 2] } }] });
    const api = server.url;

    // --- README example ---
    const fetch = createFetch({
      use: [
        fallback(() => Response.json({ items: [], stale: true })),
        resilience({
          timeout: { attemptMs: 5_000, totalMs: 30_000 },
          retry: { maxAttempts: 4 },
          circuitBreaker: { breaker: { type: 'consecutive', threshold: 5 }, halfOpenAfterMs: 30_000 },
        }),
      ],
    });
    const response = await fetch(`${api}/items`);
    // --- end of example ---

    expect(await response.json()).toEqual({ items: [1, 2] });
    expect(server.requests).toHaveLength(2);
    const down = createTestServer({ 'GET /items': { status: 503 } });
    const stale = await fetch(`${(await down).url}/items`);
    expect(await stale.json()).toEqual({ items: [], stale: true });
  });

  it('runs the retry budget example', async () => {
    const server = await createTestServer({ 'GET /*': { status: 503 } });

    // --- README example ---
    // One budget for the whole client, however many retry layers it has.
    const budget = retryBudget({ ratio: 0.1, minRetriesPerSecond: 5 });
    const fetch = createFetch({ use: [retry({ budget }), circuitBreaker()] });
    const orders = createFetch({ use: [retry({ budget, maxAttempts: 5 })] });
    // --- end of example ---

    // The reserve of 5 per second over 10 s allows 50 retries, shared by both clients.
    expect(budget.available(Date.now())).toBe(50);
    await fetch(`${server.url}/a`, { ferrule: { retry: { backoff: { initialDelayMs: 0 } } } });
    await orders(`${server.url}/b`, { ferrule: { retry: { backoff: { initialDelayMs: 0 } } } });
    expect(budget.available(Date.now())).toBe(44);
  });

  it('runs the shared circuit store example', async () => {
    const server = await createTestServer({ '/*': { status: 500 } });

    // --- README example ---
    const store = memoryStore<CircuitSnapshot>();
    const search = createFetch({ use: [circuitBreaker({ store })] });
    const catalog = createFetch({ use: [circuitBreaker({ store })] });
    // When `search` opens the circuit of a host, `catalog` refuses its calls too.
    // --- end of example ---

    for (let call = 0; call < 5; call++) await search(`${server.url}/search`);
    await new Promise((resolve) => setImmediate(resolve));
    await expect(catalog(`${server.url}/catalog`)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(server.requests).toHaveLength(5);
  });

  it('runs the hedging example', async () => {
    const server = await createTestServer({ 'GET /': { json: ['ferrule'] } });

    // --- README example ---
    const fetch = createFetch({
      use: [bulkhead({ maxConcurrent: 8, maxQueued: 32 }), hedge({ delayMs: 300, maxHedges: 1 })],
    });
    const response = await fetch(`${server.url}/?q=ferrule`);
    // --- end of example ---

    expect(await response.json()).toEqual(['ferrule']);
  });

  it('runs the per-call options and route rules example', async () => {
    const server = await createTestServer({ 'GET /health': { status: 503 }, 'POST /search': [{ status: 503 }, {}] });
    const api = server.url;

    // --- README example ---
    const fetch = createFetch({
      use: [
        resilience({
          timeout: { attemptMs: 5_000, routes: [{ match: 'GET /reports/*', attemptMs: 60_000 }] },
          retry: { routes: [{ match: 'POST /search', methods: ['POST'] }] },
        }),
      ],
    });
    await fetch(`${api}/health`, { ferrule: { retry: false, timeout: { attemptMs: 500 } } });
    // --- end of example ---

    expect(server.requestsTo('GET /health')).toHaveLength(1);
    expect((await fetch(`${api}/search`, { method: 'POST', body: '{"q":"a"}' })).status).toBe(200);
    expect(server.requestsTo('POST /search').map((request) => request.text())).toEqual(['{"q":"a"}', '{"q":"a"}']);
  });
});
