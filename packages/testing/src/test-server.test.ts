import { parseRateLimitHeaders } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { rateLimited } from './rate-limited.ts';
import { createTestServer } from './vitest.ts';

describe('createTestServer', () => {
  it('listens on 127.0.0.1 on a free port', async () => {
    const server = await createTestServer();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers a sequence of statuses, the last one repeating, and records each request', async () => {
    const server = await createTestServer({ 'GET /flaky': [{ status: 503 }, { status: 200, json: { ok: true } }] });
    const statuses = [];
    for (let index = 0; index < 3; index++) statuses.push((await fetch(`${server.url}/flaky?n=${index}`)).status);
    expect(statuses).toEqual([503, 200, 200]);
    expect(server.requestsTo('GET /flaky').map((request) => request.url)).toEqual([
      '/flaky?n=0',
      '/flaky?n=1',
      '/flaky?n=2',
    ]);
  });

  it('records method, headers and body of every request, matched or not', async () => {
    const server = await createTestServer({ 'POST /echo': { status: 201 } });
    await fetch(`${server.url}/echo`, { method: 'POST', headers: { 'x-test': 'yes' }, body: '{"a":1}' });
    const missing = await fetch(`${server.url}/missing`);
    expect(missing.status).toBe(404);
    const [echo, unmatched] = server.requests;
    expect(echo?.headers['x-test']).toBe('yes');
    expect(echo?.json()).toEqual({ a: 1 });
    expect(echo?.route).toBe('POST /echo');
    expect(unmatched?.route).toBeUndefined();
  });

  it('resets the connection when asked', async () => {
    const server = await createTestServer({ 'GET /reset': { reset: true } });
    await expect(fetch(`${server.url}/reset`)).rejects.toThrow(TypeError);
  });

  it('stalls mid-body until the client gives up, and records that it went away', async () => {
    const server = await createTestServer({ 'GET /stall': { body: 'abcdefghij', stallAfterBytes: 4 } });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/stall`, { signal: controller.signal });
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toBe('abcd');
    controller.abort();
    await expect(reader?.read()).rejects.toThrow();
    await expect.poll(() => server.requests[0]?.aborted).toBe(true);
  });

  it('streams chunks', async () => {
    const server = await createTestServer({ 'GET /chunks': { chunks: ['a', 'b', 'c'] } });
    expect(await (await fetch(`${server.url}/chunks`)).text()).toBe('abc');
  });

  it('answers 304 to a matching If-None-Match, weak or strong, and to a late enough If-Modified-Since', async () => {
    const lastModified = new Date('2026-01-01T00:00:00Z');
    const server = await createTestServer({
      'GET /etag': { json: { v: 1 }, etag: '"v1"', headers: { 'cache-control': 'max-age=60' } },
      'GET /dated': { json: { v: 1 }, lastModified },
    });
    const fresh = await fetch(`${server.url}/etag`);
    expect(fresh.headers.get('etag')).toBe('"v1"');
    const revalidated = await fetch(`${server.url}/etag`, { headers: { 'if-none-match': 'W/"v1"' } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('cache-control')).toBe('max-age=60');
    expect((await fetch(`${server.url}/etag`, { headers: { 'if-none-match': '"v0"' } })).status).toBe(200);
    const notModified = await fetch(`${server.url}/dated`, {
      headers: { 'if-modified-since': lastModified.toUTCString() },
    });
    expect(notModified.status).toBe(304);
    const older = new Date(lastModified.getTime() - 1_000).toUTCString();
    expect((await fetch(`${server.url}/dated`, { headers: { 'if-modified-since': older } })).status).toBe(200);
  });

  it('runs handlers with a per-route count, and writes a web Response they return', async () => {
    const server = await createTestServer({
      'GET /count': (_request, { count }) => ({ json: { count } }),
      'GET /web': () => new Response('web body', { status: 418, headers: { 'x-kind': 'teapot' } }),
    });
    await fetch(`${server.url}/count`);
    expect(await (await fetch(`${server.url}/count`)).json()).toEqual({ count: 2 });
    const web = await fetch(`${server.url}/web`);
    expect([web.status, web.headers.get('x-kind'), await web.text()]).toEqual([418, 'teapot', 'web body']);
  });

  it('waits before answering when told to', async () => {
    const server = await createTestServer({ 'GET /slow': { delayMs: 30, json: {} } });
    const controller = new AbortController();
    const call = fetch(`${server.url}/slow`, { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toThrow();
    expect((await fetch(`${server.url}/slow`)).status).toBe(200);
  });

  it('adds and replaces routes, and forgets requests on reset', async () => {
    const server = await createTestServer();
    server.route('GET /late', { status: 202 });
    expect((await fetch(`${server.url}/late`)).status).toBe(202);
    server.route('GET /late', { status: 204 });
    expect((await fetch(`${server.url}/late`)).status).toBe(204);
    server.reset();
    expect(server.requests).toHaveLength(0);
  });

  it('closes every open connection on close', async () => {
    const server = await createTestServer({ 'GET /stall': { stallAfterBytes: 1 } });
    const response = await fetch(`${server.url}/stall`);
    const reading = response.text();
    await server.close();
    await expect(reading).rejects.toThrow();
  });
});

describe('rateLimited', () => {
  it.each(['ietf', 'ietf-draft-7', 'ietf-legacy', 'x-ratelimit', 'x-ratelimit-delta'] as const)(
    'enforces the limit and advertises it in %s headers that core reads back',
    async (style) => {
      let nowMs = Date.UTC(2026, 10, 21, 12, 0, 0);
      const limited = rateLimited({ limit: 2, windowMs: 1_000, headers: style, now: () => nowMs });
      const server = await createTestServer({ 'GET /items': limited });
      const first = await fetch(`${server.url}/items`);
      expect(parseRateLimitHeaders(first.headers, nowMs)).toMatchObject({ remaining: 1 });
      await fetch(`${server.url}/items`);
      const refused = await fetch(`${server.url}/items`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(parseRateLimitHeaders(refused.headers, nowMs)).toMatchObject({ remaining: 0, resetMs: 1_000 });
      nowMs += 1_000;
      expect((await fetch(`${server.url}/items`)).status).toBe(200);
      expect(limited.stats).toEqual({ allowed: 3, refused: 1 });
    },
  );

  it('refills a token bucket evenly', async () => {
    let nowMs = 0;
    const limited = rateLimited({
      limit: 10,
      windowMs: 1_000,
      algorithm: 'token-bucket',
      now: () => nowMs,
      headers: 'none',
    });
    const server = await createTestServer({ 'GET /items': limited });
    for (let index = 0; index < 10; index++) await fetch(`${server.url}/items`);
    const refused = await fetch(`${server.url}/items`);
    expect(refused.status).toBe(429);
    expect([...refused.headers.keys()].filter((name) => name.includes('ratelimit'))).toEqual([]);
    nowMs += 99;
    expect((await fetch(`${server.url}/items`)).status).toBe(429);
    nowMs += 1;
    expect((await fetch(`${server.url}/items`)).status).toBe(200);
  });

  it('keeps a limit per key and answers with `respond`', async () => {
    const limited = rateLimited({
      limit: 1,
      key: (request) => request.headers['x-api-key'] ?? 'anonymous',
      respond: { json: { data: 'ok' } },
    });
    const server = await createTestServer({ 'GET /items': limited });
    const call = (key: string) => fetch(`${server.url}/items`, { headers: { 'x-api-key': key } });
    expect(await (await call('a')).json()).toEqual({ data: 'ok' });
    expect((await call('a')).status).toBe(429);
    expect((await call('b')).status).toBe(200);
  });
});
