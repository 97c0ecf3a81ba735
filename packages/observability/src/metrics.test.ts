import { createFakeClock, createFetch, type Middleware } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { cacheLayer, circuitLayer, rateLimitLayer, recordingFetch, retryLayer, runToEnd } from '../test/layers.ts';
import { metrics } from './metrics.ts';

const API = 'https://api.example.test';

// A terminal fetch that takes `?ms=` of fake time and answers `?status=`.
function timedFetch(clock = createFakeClock(0)) {
  const { fetch } = recordingFetch(async (request) => {
    const url = new URL(request.url);
    await clock.advance(Number(url.searchParams.get('ms') ?? 0));
    return new Response('{}', { status: Number(url.searchParams.get('status') ?? 200) });
  });
  return { clock, fetch };
}

describe('metrics', () => {
  it('counts calls per route template, method and status class', async () => {
    const stats = metrics({ routes: [{ match: 'GET /users/*', name: '/users/:id' }, { match: 'POST /orders' }] });
    const { clock, fetch } = timedFetch();
    const client = createFetch({ use: [stats], fetch, clock });
    await client(`${API}/users/1`);
    await client(`${API}/users/2?status=404`);
    await client(`${API}/users/3`);
    await client(`${API}/orders?status=503`, { method: 'POST' });
    await client(`${API}/health`);

    const rows = stats
      .snapshot()
      .series.map(({ route, method, statusClass, calls }) => [route, method, statusClass, calls]);
    expect(rows).toEqual([
      ['/users/:id', 'GET', '2xx', 2],
      ['/users/:id', 'GET', '4xx', 1],
      ['/orders', 'POST', '5xx', 1],
      ['other', 'GET', '2xx', 1],
    ]);
  });

  it('takes the route from the call, then the route function, then the rules', async () => {
    const stats = metrics({
      routes: [{ match: '/items/*', name: '/items/:id' }],
      route: (request) => (request.url.includes('/special/') ? '/special/:id' : undefined),
    });
    const { clock, fetch } = timedFetch();
    const client = createFetch({ use: [stats], fetch, clock });
    await client(`${API}/items/1`, { ferrule: { observability: { route: '/given' } } });
    await client(`${API}/special/1`);
    await client(`${API}/items/2`);
    expect(stats.snapshot().series.map((series) => series.route)).toEqual(['/given', '/special/:id', '/items/:id']);
  });

  it('never fails a call when the route function throws: the rules name it instead', async () => {
    const stats = metrics({
      routes: [{ match: '/items/*', name: '/items/:id' }],
      route: () => {
        throw new Error('bug in route()');
      },
    });
    const { clock, fetch } = timedFetch();
    const response = await createFetch({ use: [stats], fetch, clock })(`${API}/items/1`);
    expect(response.status).toBe(200);
    expect(stats.snapshot().series[0]?.route).toBe('/items/:id');
  });

  it('records p50, p95 and p99 of call durations from the clock', async () => {
    const stats = metrics();
    const { clock, fetch } = timedFetch();
    const client = createFetch({ use: [stats], fetch, clock });
    for (let ms = 1; ms <= 200; ms++) await client(`${API}/jobs?ms=${ms}`);
    const { latency } = stats.snapshot();
    expect(latency.count).toBe(200);
    expect(latency.sumMs).toBe((200 * 201) / 2);
    expect([latency.minMs, latency.maxMs]).toEqual([1, 200]);
    expect(Math.abs(latency.p50Ms - 100) / 100).toBeLessThanOrEqual(0.01);
    expect(Math.abs(latency.p95Ms - 190) / 190).toBeLessThanOrEqual(0.01);
    expect(Math.abs(latency.p99Ms - 198) / 198).toBeLessThanOrEqual(0.01);
  });

  it('counts attempts, retries, cache use and rate-limit waits from the events of the layers below', async () => {
    const stats = metrics();
    const clock = createFakeClock(0);
    let count = 0;
    const { fetch } = recordingFetch(() => new Response('{}', { status: ++count === 1 ? 503 : 200 }));
    const client = createFetch({
      use: [stats, cacheLayer(), retryLayer({ delayMs: 100 }), rateLimitLayer({ waitMs: 250 })],
      fetch,
      clock,
    });
    await runToEnd(clock, client(`${API}/items`)); // 503, retried, 200, stored
    await runToEnd(clock, client(`${API}/items`)); // cache hit: no attempt, no wait

    const snapshot = stats.snapshot();
    expect(snapshot).toMatchObject({ calls: 2, attempts: 2, retries: 1, rateLimitWaitMs: 500, cacheHitRatio: 0.5 });
    expect(snapshot.series[0]).toMatchObject({
      calls: 2,
      attempts: 2,
      rateLimitWaitMs: 500,
      cache: { miss: 1, hit: 1 },
      events: { cache: 3, retry: 1, ratelimit: 2 },
    });
    // The first call waited 250 + 100 + 250 ms of fake time; the hit took none.
    expect([snapshot.latency.minMs, snapshot.latency.maxMs]).toEqual([0, 600]);
  });

  it('puts calls that fail without a response in the error class, and counts success below 400', async () => {
    const stats = metrics();
    const { fetch } = recordingFetch((request) => {
      if (request.url.endsWith('/down')) throw new TypeError('fetch failed');
      return new Response(null, { status: request.url.endsWith('/missing') ? 404 : 204 });
    });
    const client = createFetch({ use: [stats], fetch });
    await client(`${API}/ok`);
    await client(`${API}/ok`);
    await client(`${API}/missing`);
    await expect(client(`${API}/down`)).rejects.toThrow('fetch failed');
    const snapshot = stats.snapshot();
    expect(snapshot.successRate).toBe(0.5);
    expect(snapshot.series.map((series) => series.statusClass)).toEqual(['2xx', '4xx', 'error']);
    expect(snapshot.cacheHitRatio).toBeNull();
  });

  it('keeps the state and the transitions of every circuit', async () => {
    const stats = metrics();
    const { fetch } = recordingFetch(() => new Response(null, { status: 500 }));
    const client = createFetch({ use: [stats, circuitLayer({ key: 'payments', threshold: 2 })], fetch });
    await client(`${API}/pay`);
    expect(stats.snapshot().circuits).toEqual({});
    await client(`${API}/pay`);
    expect(stats.snapshot().circuits).toEqual({ payments: { state: 'open', transitions: 1 } });
  });

  it('redacts a circuit key that holds a URL with a key', async () => {
    const stats = metrics();
    const keyed: Middleware = async (request, context, next) => {
      context.emit({ type: 'circuit', key: `${API}/v1?token=hunter2`, state: 'open', previous: 'closed' });
      return next(request, context);
    };
    await createFetch({ use: [stats, keyed], fetch: recordingFetch().fetch })(`${API}/`);
    expect(Object.keys(stats.snapshot().circuits)).toEqual([`${API}/v1?token=[REDACTED]`]);
  });

  it('stays bounded: past maxSeries, new routes count under "other"', async () => {
    const stats = metrics({ maxSeries: 3, route: (request) => new URL(request.url).pathname });
    const client = createFetch({ use: [stats], fetch: recordingFetch().fetch });
    for (let index = 0; index < 50; index++) await client(`${API}/raw/${index}`);
    const { series, calls } = stats.snapshot();
    expect(series.map((entry) => [entry.route, entry.calls])).toEqual([
      ['/raw/0', 1],
      ['/raw/1', 1],
      ['/raw/2', 1],
      ['other', 47],
    ]);
    expect(calls).toBe(50);
  });

  it('folds unknown methods into _OTHER', async () => {
    const stats = metrics();
    await createFetch({ use: [stats], fetch: recordingFetch().fetch })(`${API}/`, { method: 'PURGE' });
    expect(stats.snapshot().series[0]?.method).toBe('_OTHER');
  });

  it('gives a JSON snapshot detached from the live counters, and forgets everything on reset', async () => {
    const stats = metrics();
    const client = createFetch({ use: [stats], fetch: recordingFetch().fetch });
    await client(`${API}/`);
    const first = stats.snapshot();
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
    (first.series[0] as { calls: number }).calls = 99;
    await client(`${API}/`);
    expect(stats.snapshot().series[0]?.calls).toBe(2);
    stats.reset();
    expect(stats.snapshot()).toMatchObject({ calls: 0, successRate: null, series: [], circuits: {} });
  });

  it.each([
    [{ maxSeries: 0 }, 'metrics.maxSeries'],
    [{ relativeAccuracy: 1 }, 'metrics.relativeAccuracy'],
    [{ namespace: 'my-app' }, 'metrics.namespace'],
    [{ routes: [{ match: 42 }] }, 'metrics.routes.0.match'],
    [{ routes: [{ match: 'GET  /a b c' }] }, 'metrics.routes'],
    [{ route: '/users/:id' }, 'metrics.route'],
    [{ maxSerie: 10 }, 'metrics.maxSerie'],
  ])('refuses %o with a ConfigError naming %s', (options, option) => {
    expect(() => metrics(options as never)).toThrow(expect.objectContaining({ code: 'CONFIG', option }));
  });

  it('counts what happened on the wire: statuses and a reset connection', async () => {
    const server = await createTestServer({
      'GET /ok': { json: { ok: true } },
      'GET /fail': { status: 502 },
      'GET /reset': { reset: true },
    });
    const stats = metrics({ routes: [{ match: 'GET /:page' }] });
    const client = createFetch({ use: [stats] });
    await (await client(`${server.url}/ok`)).json();
    await (await client(`${server.url}/fail`)).arrayBuffer();
    await expect(client(`${server.url}/reset`)).rejects.toThrow();
    const rows = stats.snapshot().series.map(({ route, statusClass, attempts }) => [route, statusClass, attempts]);
    expect(rows).toEqual([
      ['/:page', '2xx', 1],
      ['/:page', '5xx', 1],
      ['/:page', 'error', 1],
    ]);
  });
});
