import { createFakeClock, createFetch, type FerruleEvent } from '@ferrule/core';
import { createTestServer, type ResponseSpec, waitForSleepers, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, START_MS } from './cache.test-helper.ts';
import { cache } from './cache.ts';
import { memoryCacheStore } from './memory-store.ts';
import { cacheStatus } from './stored-response.ts';

/** A route that holds every answer until the test opens the gate. */
function gated(spec: (count: number) => ResponseSpec) {
  const { promise, resolve } = Promise.withResolvers<void>();
  return {
    open: () => resolve(),
    route: async (_request: unknown, { count }: { count: number }) => {
      await promise;
      return spec(count);
    },
  };
}

const readAll = (responses: Response[]) => Promise.all(responses.map((response) => response.text()));

describe('dedupe in one process', () => {
  it('sends concurrent identical GETs upstream once, and gives each caller its own readable response', async () => {
    const { fetch, events } = client();
    const gate = gated((count) => ({ body: `answer ${count}`, headers: { 'cache-control': 'max-age=60' } }));
    const server = await createTestServer({ 'GET /slow': gate.route });
    const pending = Array.from({ length: 5 }, () => fetch(`${server.url}/slow`));
    await waitUntil(() => server.requests.length === 1);
    gate.open();
    const responses = await Promise.all(pending);
    expect(await readAll(responses)).toEqual(Array(5).fill('answer 1'));
    expect(server.requests).toHaveLength(1);
    expect(responses.map(cacheStatus)).toEqual(['miss', 'hit', 'hit', 'hit', 'hit']);
    const reasons = events.flatMap((event) => (event.type === 'cache' && event.status === 'hit' ? [event.reason] : []));
    expect(reasons).toEqual(Array(4).fill('dedupe'));
  });

  it('keeps requests that differ in any header field apart', async () => {
    const { fetch } = client();
    const gate = gated((count) => ({ body: `answer ${count}`, headers: { 'cache-control': 'max-age=60' } }));
    const server = await createTestServer({ 'GET /slow': gate.route });
    const pending = [
      fetch(`${server.url}/slow`, { headers: { accept: 'application/json' } }),
      fetch(`${server.url}/slow`, { headers: { accept: 'text/csv' } }),
      fetch(`${server.url}/slow`, { headers: { authorization: 'Bearer other' } }),
    ];
    await waitUntil(() => server.requests.length === 3);
    gate.open();
    await readAll(await Promise.all(pending));
    expect(server.requests).toHaveLength(3);
  });

  it('lets a waiting caller abort without disturbing the others', async () => {
    const { fetch } = client();
    const gate = gated(() => ({ body: 'done', headers: { 'cache-control': 'max-age=60' } }));
    const server = await createTestServer({ 'GET /slow': gate.route });
    const leader = fetch(`${server.url}/slow`);
    await waitUntil(() => server.requests.length === 1);
    const controller = new AbortController();
    const follower = fetch(`${server.url}/slow`, { signal: controller.signal });
    const patient = fetch(`${server.url}/slow`);
    controller.abort(new Error('gave up'));
    await expect(follower).rejects.toThrow('gave up');
    gate.open();
    expect(await readAll(await Promise.all([leader, patient]))).toEqual(['done', 'done']);
    expect(server.requests).toHaveLength(1);
  });

  it('lets waiting callers go upstream themselves when the shared response cannot be stored', async () => {
    const { fetch } = client();
    const gate = gated((count) => ({ body: `private ${count}`, headers: { 'cache-control': 'no-store' } }));
    const server = await createTestServer({ 'GET /slow': gate.route });
    const pending = Array.from({ length: 3 }, () => fetch(`${server.url}/slow`));
    await waitUntil(() => server.requests.length === 1);
    gate.open();
    const texts = await readAll(await Promise.all(pending));
    expect(server.requests).toHaveLength(3);
    expect(new Set(texts).size).toBe(3);
  });

  it('lets waiting callers go upstream themselves when the shared request fails', async () => {
    const { fetch, events } = client();
    const gate = gated((): ResponseSpec => ({ reset: true }));
    const server = await createTestServer({
      'GET /flaky': (request, context) =>
        context.count === 1
          ? gate.route(request, context)
          : { body: 'second try', headers: { 'cache-control': 'max-age=60' } },
    });
    const leader = fetch(`${server.url}/flaky`);
    await waitUntil(() => server.requests.length === 1);
    const follower = fetch(`${server.url}/flaky`);
    // A memory store answers within microtasks: by the next turn of the event loop the follower has
    // either joined the leader or sent its own request (which the terminal fetch reports at once).
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.filter((event) => event.type === 'request')).toHaveLength(1);
    gate.open();
    await expect(leader).rejects.toThrow();
    expect(await (await follower).text()).toBe('second try');
    expect(server.requests).toHaveLength(2);
  });

  it('sends every request upstream with dedupe: false', async () => {
    const { fetch } = client({ dedupe: false });
    const gate = gated(() => ({ body: 'x', headers: { 'cache-control': 'max-age=60' } }));
    const server = await createTestServer({ 'GET /slow': gate.route });
    const pending = Array.from({ length: 3 }, () => fetch(`${server.url}/slow`));
    await waitUntil(() => server.requests.length === 3);
    gate.open();
    await readAll(await Promise.all(pending));
  });
});

describe('dedupe across processes (with a lock)', () => {
  // Two clients with their own cache middleware, sharing a store and its lock, as two processes share Redis.
  const twoProcesses = (lockTtlMs = 5_000) => {
    const clock = createFakeClock(START_MS);
    const store = memoryCacheStore({ clock });
    const events: FerruleEvent[] = [];
    const make = () =>
      createFetch({
        use: [cache({ store, dedupe: { lock: store, lockTtlMs, pollMs: 50 } })],
        clock,
        onEvent: (event) => events.push(event),
      });
    return { clock, store, events, first: make(), second: make() };
  };

  it('lets one process fetch a cold URL while the other waits for its answer in the store', async () => {
    const { clock, events, first, second } = twoProcesses();
    const gate = gated((count) => ({ body: `cold ${count}`, headers: { 'cache-control': 'max-age=60' } }));
    const server = await createTestServer({ 'GET /cold': gate.route });
    const one = first(`${server.url}/cold`);
    await waitUntil(() => server.requests.length === 1);
    const two = second(`${server.url}/cold`);
    await waitForSleepers(clock);
    gate.open();
    expect(await (await one).text()).toBe('cold 1');
    await waitUntil(() => events.some((event) => event.type === 'cache' && event.status === 'stored'));
    await clock.advance(49);
    expect(clock.pending).toBe(1);
    await clock.advance(1);
    const answer = await two;
    expect([cacheStatus(answer), await answer.text()]).toEqual(['hit', 'cold 1']);
    expect(server.requests).toHaveLength(1);
  });

  it('looks in the store again once it has the lock: the holder may have stored and let go in between', async () => {
    const clock = createFakeClock(START_MS);
    const store = memoryCacheStore({ clock });
    const events: FerruleEvent[] = [];
    // The second process's reads: while `late` is held, each one answers what the store held when it
    // was asked, but only once the test lets it go — a read that crosses the first process's write.
    let late: PromiseWithResolvers<void> | undefined;
    const slowReader = {
      get: async (key: string) => {
        const value = await store.get(key);
        await late?.promise;
        return value;
      },
      set: store.set.bind(store),
      delete: store.delete.bind(store),
      acquire: store.acquire.bind(store),
      release: store.release.bind(store),
    };
    const released = Promise.withResolvers<void>();
    const firstLock = {
      acquire: store.acquire.bind(store),
      release: async (key: string) => {
        await store.release(key);
        released.resolve();
      },
    };
    const first = createFetch({
      use: [cache({ store, dedupe: { lock: firstLock, pollMs: 50 } })],
      clock,
      onEvent: (event) => events.push(event),
    });
    const second = createFetch({
      use: [cache({ store: slowReader, dedupe: { lock: slowReader, pollMs: 50 } })],
      clock,
    });
    const gate = gated((count) => ({ body: `cold ${count}`, headers: { 'cache-control': 'max-age=60' } }));
    const server = await createTestServer({ 'GET /cold': gate.route });
    const one = first(`${server.url}/cold`);
    await waitUntil(() => server.requests.length === 1);
    const two = second(`${server.url}/cold`);
    await waitForSleepers(clock);
    late = Promise.withResolvers<void>();
    await clock.advance(50);
    // The second process has looked (and found nothing yet); now the first stores its answer and lets go.
    gate.open();
    expect(await (await one).text()).toBe('cold 1');
    await waitUntil(() => events.some((event) => event.type === 'cache' && event.status === 'stored'));
    await released.promise;
    const stale = late;
    late = undefined;
    stale.resolve();
    const answer = await two;
    expect([cacheStatus(answer), await answer.text()]).toEqual(['hit', 'cold 1']);
    expect(server.requests).toHaveLength(1);
  });

  it('takes the lock over when its holder fails, and fetches itself', async () => {
    const { clock, first, second } = twoProcesses();
    const gate = gated(() => ({ reset: true }));
    const server = await createTestServer({
      'GET /cold': (request, context) =>
        context.count === 1
          ? gate.route(request, context)
          : { body: 'retry', headers: { 'cache-control': 'max-age=60' } },
    });
    const one = first(`${server.url}/cold`);
    await waitUntil(() => server.requests.length === 1);
    const two = second(`${server.url}/cold`);
    await waitForSleepers(clock);
    gate.open();
    await expect(one).rejects.toThrow();
    await clock.advance(50);
    expect(await (await two).text()).toBe('retry');
    expect(server.requests).toHaveLength(2);
  });

  it('stops waiting when the lock time runs out, and fetches itself', async () => {
    const { clock, first, second } = twoProcesses(1_000);
    const gate = gated((count) => ({ body: `slow ${count}`, headers: { 'cache-control': 'max-age=60' } }));
    const server = await createTestServer({ 'GET /stuck': gate.route });
    const one = first(`${server.url}/stuck`);
    await waitUntil(() => server.requests.length === 1);
    const two = second(`${server.url}/stuck`);
    // Each poll sleeps 50 ms: after 950 ms it still waits, at 1 000 ms it gives up.
    for (let elapsedMs = 0; elapsedMs < 950; elapsedMs += 50) {
      await waitForSleepers(clock);
      await clock.advance(50);
    }
    await waitForSleepers(clock);
    expect(server.requests).toHaveLength(1);
    await clock.advance(50);
    await waitUntil(() => server.requests.length === 2);
    gate.open();
    expect(await readAll(await Promise.all([one, two]))).toEqual(['slow 1', 'slow 2']);
  });
});
