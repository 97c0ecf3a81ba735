// README examples that compose several packages, which no single package may run (a concern package
// imports no other concern): run here with the real packages, against servers on 127.0.0.1. The
// examples' URLs point at the test servers; everything between the markers is the README's code.
import { randomUUID } from 'node:crypto';
import { apiKey, bearer, oauth2 } from '@ferrule/auth';
import { cache, cacheStatus } from '@ferrule/cache';
import { createFetch, editable, type Middleware } from '@ferrule/core';
import { logging, metrics } from '@ferrule/observability';
import { rateLimit, tokenBucket } from '@ferrule/rate-limit';
import { redisCacheStore, redisRateLimitStore } from '@ferrule/redis';
import { resilience } from '@ferrule/resilience';
import { createTestServer } from '@ferrule/testing/vitest';
import { createClient } from '@ferrule/transport';
import { undiciFetch as makeUndiciFetch, type UndiciFetchOptions } from '@ferrule/transport/undici';
import createOpenApiClient from 'openapi-fetch';
import * as v from 'valibot';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { paths } from './support/catalog-openapi.ts';
import { deleteKeys } from './support/redis-server.ts';

// The examples create their fetch inline; this one closes itself when the test ends.
const undiciFetch = (options?: UndiciFetchOptions) => {
  const fetch = makeUndiciFetch(options);
  onTestFinished(() => fetch.close());
  return fetch;
};

const product = { id: 4711, name: 'Brass ferrule', stock: 318 };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('README.md', () => {
  it('runs "Compose a client" under ky: OAuth 2.0, the cache and a validated, typed product', async () => {
    vi.spyOn(console, 'info').mockImplementation(() => {});
    const clientSecret = 'inventory-sync-secret';
    const server = await createTestServer({
      'POST /oauth/token': (request) =>
        request.headers.authorization === `Basic ${btoa(`inventory-sync:${clientSecret}`)}`
          ? { json: { access_token: 'token-1', token_type: 'Bearer', expires_in: 3600 } }
          : { status: 401, json: { error: 'invalid_client' } },
      'GET /v1/products/4711': (request) =>
        request.headers.authorization === 'Bearer token-1'
          ? { json: { id: 4711, name: 'Brass ferrule', stock: 318 }, headers: { 'cache-control': 'max-age=60' } }
          : { status: 401 },
    });

    // --- README example (its URLs the test server's) ---
    const api = createClient({
      baseUrl: `${server.url}/v1/`,
      observability: [logging(), metrics()],
      cache: cache(),
      resilience: resilience(),
      rateLimit: rateLimit(),
      auth: oauth2({ tokenUrl: `${server.url}/oauth/token`, clientId: 'inventory-sync', clientSecret }),
    });
    const Product = v.object({ id: v.number(), name: v.string(), stock: v.number() });
    const product = await api.get('products/4711').json(Product); // typed, or a ValidationError
    // --- end of example ---

    expect(product).toEqual({ id: 4711, name: 'Brass ferrule', stock: 318 });
    expect(await api.get('products/4711').json(Product)).toEqual(product);
    // One token, one API request: the second call was a cache hit.
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /oauth/token',
      'GET /v1/products/4711',
    ]);
  });

  it('runs "Compose a client" under openapi-fetch: the same middlewares as its fetch', async () => {
    vi.spyOn(console, 'info').mockImplementation(() => {});
    const apiKeyValue = 'catalog-key-5ca1ab1e';
    const server = await createTestServer({
      'GET /v1/products/4711': (request) =>
        request.headers['x-api-key'] === apiKeyValue ? { json: product } : { status: 401 },
    });

    // --- README example (its URL the test server's) ---
    const fetch = createFetch({
      use: [logging(), cache(), resilience(), rateLimit(), apiKey({ header: 'x-api-key', value: apiKeyValue })],
    });
    const catalog = createOpenApiClient<paths>({ baseUrl: `${server.url}/v1`, fetch });
    const { data } = await catalog.GET('/products/{id}', { params: { path: { id: 4711 } } });
    // --- end of example ---

    expect(data).toEqual(product);
    expect(server.requests).toHaveLength(1);
  });

  it('runs the own-middleware example: a user agent on every request, events to the console', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const server = await createTestServer({ 'GET /items': { json: [] } });

    // --- README example (its URL the test server's) ---
    const userAgent: Middleware = async function userAgent(request, context, next) {
      editable(request, context).headers.set('user-agent', 'inventory-sync/1.0');
      return next(request, context);
    };

    const fetch = createFetch({ use: [userAgent], onEvent: (event) => console.log(event.type, event.url) });
    const response = await fetch(`${server.url}/items`);
    // --- end of example ---

    expect(await response.json()).toEqual([]);
    expect(server.requests[0]?.headers['user-agent']).toBe('inventory-sync/1.0');
    expect(log.mock.calls.map(([type]) => type)).toEqual(['request', 'response']);
  });
});

describe('packages/transport/README.md', () => {
  it('runs "A whole client": every slot with the real packages, in the recommended order', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const server = await createTestServer({
      'GET /v1/products/4711': (request) =>
        request.headers.authorization === 'Bearer token-from-your-vault'
          ? { json: product, headers: { 'cache-control': 'max-age=60' } }
          : { status: 401 },
    });
    const base = `${server.url}/v1/`;

    // --- README example ---
    const api = createClient({
      baseUrl: base,
      observability: [logging(), metrics()],
      cache: cache(),
      resilience: resilience(),
      rateLimit: rateLimit(),
      auth: bearer('token-from-your-vault'),
      fetch: undiciFetch({ connections: 32 }),
    });
    // --- end of example ---

    const first = await api.get('products/4711');
    expect(await first.json()).toEqual(product);
    const again = await api.get('products/4711');
    expect(await again.json()).toEqual(product);
    expect([cacheStatus(first), cacheStatus(again)]).toEqual(['miss', 'hit']);
    expect(server.requests).toHaveLength(1);
    // logging() writes to console by default: one record per call, the hit with zero attempts.
    expect(
      info.mock.calls.map(([record]) => [
        (record as { attempts: number }).attempts,
        (record as { cache: string }).cache,
      ]),
    ).toEqual([
      [1, 'miss'],
      [0, 'hit'],
    ]);
  });

  it('runs the `use` example: the auth slot between middlewares of one’s own', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const stamp =
      (value: string): Middleware =>
      async (request, context, next) => {
        const edited = editable(request, context);
        edited.headers.append('x-layers', value);
        return next(edited, context);
      };
    const userAgent = stamp('user-agent');
    const requestId = stamp('request-id');

    // --- README example ---
    const api = createClient({
      auth: bearer('token-from-your-vault'),
      use: [userAgent, 'auth', requestId],
    });
    // --- end of example ---

    await api.get(`${server.url}/items`).json();
    expect(server.requests[0]?.headers).toMatchObject({
      authorization: 'Bearer token-from-your-vault',
      'x-layers': 'user-agent, request-id',
    });
  });
});

describe('packages/redis/README.md', () => {
  it('runs the cache example: one Redis cache, shared with its lock', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = await createTestServer({
      'GET /products/42': { json: { id: 42 }, headers: { 'cache-control': 'max-age=60' } },
    });
    const prefix = `ferrule-integration:${randomUUID()}:`;
    onTestFinished(() => deleteKeys(prefix));

    // --- README example (its prefix made unique, its URL the test server's) ---
    const store = redisCacheStore({ prefix });
    const fetch = createFetch({
      use: [cache({ store, dedupe: { lock: store } })],
      onEvent: (event) => event.type === 'store' && console.warn(`redis ${event.action}`),
    });
    const response = await fetch(`${server.url}/products/42`);
    // --- end of example ---

    expect(await response.json()).toEqual({ id: 42 });
    // A second client on the same Redis — another process, as far as the cache knows — finds it there.
    const other = redisCacheStore({ prefix });
    const elsewhere = createFetch({ use: [cache({ store: other, dedupe: { lock: other } })] });
    const hit = await elsewhere(`${server.url}/products/42`);
    expect([cacheStatus(hit), await hit.json()]).toEqual(['hit', { id: 42 }]);
    expect(server.requests).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();
    await store.close();
    await other.close();
  });

  it('runs the rate-limit example: a token bucket of 20 per second held in Redis', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = await createTestServer({ 'GET /products/42': { json: { id: 42 } } });
    const prefix = `ferrule-integration:${randomUUID()}:`;
    onTestFinished(() => deleteKeys(prefix));
    const events: string[] = [];

    // --- README example (its prefix made unique, its URL the test server's) ---
    const store = redisRateLimitStore({ prefix, localShare: 0.25 });
    const fetch = createFetch({
      use: [rateLimit({ policy: tokenBucket({ ratePerSecond: 20 }), store })],
      onEvent: (event) => event.type === 'store' && console.warn(`redis ${event.action}`),
    });
    const response = await fetch(`${server.url}/products/42`);
    // --- end of example ---

    expect(response.status).toBe(200);
    // The bucket holds one second's worth: 19 more go at once, the 21st and 22nd wait for Redis to refill it.
    const counting = createFetch({
      use: [rateLimit({ policy: tokenBucket({ ratePerSecond: 20 }), store })],
      onEvent: (event) => event.type === 'ratelimit' && events.push(event.action),
    });
    const statuses = await Promise.all(
      Array.from({ length: 21 }, () => counting(`${server.url}/products/42`).then((each) => each.status)),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(events).toEqual(['waited', 'waited']);
    expect(warn).not.toHaveBeenCalled();
    await store.close();
  });
});
