import { isConfigError } from '@ferrule/core';
import { createTestServer, type ResponseSpec } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client } from './cache.test-helper.ts';
import { cacheStatus } from './stored-response.ts';

// An API that sends no caching headers at all.
const plain =
  (body: string) =>
  (_request: unknown, { count }: { count: number }): ResponseSpec => ({ body: `${body} ${count}` });

describe("mode: 'ttl'", () => {
  it('keeps responses of matching routes for the rule’s ttlMs, whatever the headers say', async () => {
    const { clock, fetch, stored } = client({ mode: 'ttl', rules: [{ match: 'GET /products/*', ttlMs: 30_000 }] });
    const server = await createTestServer({ 'GET /products/*': plain('product') });
    await (await fetch(`${server.url}/products/1`)).text();
    await stored();
    await clock.advance(29_999);
    expect(await (await fetch(`${server.url}/products/1`)).text()).toBe('product 1');
    await clock.advance(1);
    expect(await (await fetch(`${server.url}/products/1`)).text()).toBe('product 2');
  });

  it('passes requests that match no rule through untouched', async () => {
    const { fetch, statuses } = client({ mode: 'ttl', rules: [{ match: 'GET /products/*', ttlMs: 30_000 }] });
    const server = await createTestServer({
      'GET /orders': { body: 'orders', headers: { 'cache-control': 'max-age=600' } },
    });
    await (await fetch(`${server.url}/orders`)).text();
    await (await fetch(`${server.url}/orders`)).text();
    expect(statuses()).toEqual(['bypass', 'bypass']);
    expect(server.requests).toHaveLength(2);
  });

  it('stores only heuristically cacheable statuses and respects no-store', async () => {
    const { fetch, statuses } = client({ mode: 'ttl', rules: [{ match: '/**', ttlMs: 30_000 }] });
    const server = await createTestServer({
      'GET /error': { status: 503, body: 'busy' },
      'GET /secret': { body: 'secret', headers: { 'cache-control': 'no-store' } },
    });
    for (const path of ['/error', '/error', '/secret', '/secret']) await (await fetch(`${server.url}${path}`)).text();
    expect(server.requests).toHaveLength(4);
    expect(statuses()).toEqual(['miss', 'miss', 'miss', 'miss']);
  });

  it('revalidates with the stored validators once the TTL has run out', async () => {
    const { clock, fetch, stored } = client({
      mode: 'ttl',
      rules: [{ match: (request) => request.url.endsWith('/doc'), ttlMs: 1_000 }],
    });
    const server = await createTestServer({ 'GET /doc': { body: 'doc', etag: '"1"' } });
    await (await fetch(`${server.url}/doc`)).text();
    await stored();
    await clock.advance(1_000);
    const response = await fetch(`${server.url}/doc`);
    expect([cacheStatus(response), await response.text()]).toEqual(['revalidated', 'doc']);
    // The new TTL counts from the revalidation.
    await clock.advance(999);
    expect(cacheStatus(await fetch(`${server.url}/doc`))).toBe('hit');
  });

  it('takes a per-call ttlMs over the rule', async () => {
    const { clock, fetch, stored } = client({ mode: 'ttl', rules: [{ match: 'GET /products/*', ttlMs: 30_000 }] });
    const server = await createTestServer({ 'GET /products/*': plain('product') });
    await (await fetch(`${server.url}/products/1`, { ferrule: { cache: { ttlMs: 5_000 } } })).text();
    await stored();
    await clock.advance(5_000);
    expect(cacheStatus(await fetch(`${server.url}/products/1`))).toBe('miss');
  });
});

describe("rules and per-call options in mode: 'http'", () => {
  it('lets a rule force a TTL on a route whose headers say otherwise', async () => {
    const { clock, fetch, stored } = client({ rules: [{ match: 'GET /rates', ttlMs: 10_000 }] });
    const server = await createTestServer({
      'GET /rates': { body: 'rates', headers: { 'cache-control': 'max-age=0' } },
    });
    await (await fetch(`${server.url}/rates`)).text();
    await stored();
    await clock.advance(9_999);
    expect(cacheStatus(await fetch(`${server.url}/rates`))).toBe('hit');
  });

  it('bypasses the cache for one call with { bypass: true }', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /doc': plain('doc') });
    server.route('GET /doc', (_request, { count }) => ({
      body: `doc ${count}`,
      headers: { 'cache-control': 'max-age=60' },
    }));
    await (await fetch(`${server.url}/doc`)).text();
    await stored();
    const bypassed = await fetch(`${server.url}/doc`, { ferrule: { cache: { bypass: true } } });
    expect([cacheStatus(bypassed), await bypassed.text()]).toEqual(['bypass', 'doc 2']);
    expect(cacheStatus(await fetch(`${server.url}/doc`))).toBe('hit');
  });

  it('rejects bad per-call options with a ConfigError that names the call but no secret', async () => {
    const { fetch } = client();
    const server = await createTestServer({ 'GET /doc': plain('doc') });
    for (const bad of ['no-store', { bypass: 'yes' }, { ttlMs: -1 }, { ttlMs: Number.POSITIVE_INFINITY }, null]) {
      const error = await fetch(`${server.url}/doc?token=s3cr3t`, { ferrule: { cache: bad as never } }).catch(
        (caught: unknown) => caught,
      );
      expect(isConfigError(error)).toBe(true);
      expect((error as Error).message).toContain('GET');
      expect((error as Error).message).not.toContain('s3cr3t');
    }
    expect(server.requests).toHaveLength(0);
  });
});
