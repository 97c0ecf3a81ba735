import { createFakeClock, createFetch } from '@ferrule/core';
import { createTestServer, waitForSleepers, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { expectWait, recordEvents, recordingFetch } from '../test/helpers.ts';
import { hedge } from './hedge.ts';

describe('hedge over real HTTP', () => {
  it('returns the fast answer of the hedge and aborts the slow first attempt', async () => {
    const server = await createTestServer({
      'GET /search': (_request, { count }) => (count === 1 ? { delayMs: 10_000, json: 'slow' } : { json: 'fast' }),
    });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({ use: [hedge({ delayMs: 200 })], clock, onEvent: recorded.onEvent });
    const pending = fetch(`${server.url}/search`);
    await waitUntil(() => server.requests.length === 1);
    await waitForSleepers(clock);
    await expectWait(clock, 200, { during: () => expect(server.requests).toHaveLength(1) });
    const response = await pending;
    expect(await response.json()).toBe('fast');
    expect(server.requests).toHaveLength(2);
    await waitUntil(() => server.requests[0]?.aborted === true);
    expect(server.requests[1]?.aborted).toBe(false);
    expect(clock.pending).toBe(0);
    expect(recorded.of('hedge')).toEqual([
      { action: 'started', hedge: 1, delayMs: 200 },
      { action: 'won', hedge: 1 },
    ]);
    expect(recorded.of('request').map((event) => event.attempt)).toEqual([1, 2]);
  });

  it('starts no hedge when the first attempt answers in time', async () => {
    const server = await createTestServer({ 'GET /fast': { json: 1 } });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [hedge({ delayMs: 200 })], clock });
    expect(await (await fetch(`${server.url}/fast`)).json()).toBe(1);
    expect(server.requests).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('answers with the last failure, its body still readable, when every attempt fails', async () => {
    const server = await createTestServer({ 'GET /down': { status: 503, json: { error: 'down' } } });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [hedge({ delayMs: 200, maxHedges: 2 })], clock });
    const response = await fetch(`${server.url}/down`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'down' });
    expect(server.requests).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it('never hedges a POST', async () => {
    const server = await createTestServer({ 'POST /orders': { delayMs: 50, status: 201 } });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [hedge({ delayMs: 1 })], clock });
    const pending = fetch(`${server.url}/orders`, { method: 'POST', body: '{}' });
    await clock.advance(10);
    expect((await pending).status).toBe(201);
    expect(server.requests).toHaveLength(1);
  });
});

describe('hedge decisions', () => {
  it('starts the next hedge at once when an attempt fails, and returns the last failure when all fail', async () => {
    const { fetch: next, seen } = recordingFetch(() => new Response(null, { status: 503 }));
    const clock = createFakeClock();
    const fetch = createFetch({ use: [hedge({ delayMs: 1_000, maxHedges: 2 })], fetch: next, clock });
    const response = await fetch('https://api.test/a');
    expect(response.status).toBe(503);
    expect(seen).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it('sends a body to every attempt of a method it is told to hedge', async () => {
    const { fetch: next, seen } = recordingFetch(async (request) =>
      seen.length === 1 ? new Promise<Response>(() => {}) : new Response(await request.text()),
    );
    const clock = createFakeClock();
    const fetch = createFetch({ use: [hedge({ delayMs: 10, methods: ['POST'] })], fetch: next, clock });
    const pending = fetch('https://api.test/search', { method: 'POST', body: 'query' });
    await waitForSleepers(clock);
    await clock.advance(10);
    expect(await (await pending).text()).toBe('query');
    expect(await seen[0]?.request.text()).toBe('query');
    expect(seen[0]?.signal.aborted).toBe(true);
  });

  it('stops every attempt and the timer when the caller aborts', async () => {
    const { fetch: next, seen } = recordingFetch(() => new Promise<Response>(() => {}));
    const clock = createFakeClock();
    const fetch = createFetch({ use: [hedge({ delayMs: 10, maxHedges: 3 })], fetch: next, clock });
    const controller = new AbortController();
    const pending = fetch('https://api.test/a', { signal: controller.signal });
    await waitForSleepers(clock);
    await clock.advance(10);
    await waitForSleepers(clock);
    controller.abort(new Error('user left'));
    await expect(pending).rejects.toThrow('user left');
    expect(seen.map(({ signal }) => signal.aborted)).toEqual([true, true]);
    expect(clock.pending).toBe(0);
  });

  it('ends with the error of a failureOn predicate that throws, leaving no timer', async () => {
    const { fetch: next } = recordingFetch(() => new Response('ok'));
    const clock = createFakeClock();
    const fetch = createFetch({
      use: [
        hedge({
          failureOn: () => {
            throw new Error('predicate broke');
          },
        }),
      ],
      fetch: next,
      clock,
    });
    await expect(fetch('https://api.test/a')).rejects.toThrow('predicate broke');
    expect(clock.pending).toBe(0);
  });

  it('takes per-call options and route rules', async () => {
    const { fetch: next, seen } = recordingFetch(() => new Response(null, { status: 500 }));
    const fetch = createFetch({
      use: [hedge({ maxHedges: 1, routes: [{ match: '/bulk/*', maxHedges: 0 }] })],
      fetch: next,
      clock: createFakeClock(),
    });
    await fetch('https://api.test/bulk/1');
    expect(seen).toHaveLength(1);
    await fetch('https://api.test/a', { ferrule: { hedge: false } });
    expect(seen).toHaveLength(2);
    await fetch('https://api.test/a', { ferrule: { hedge: { maxHedges: 2 } } });
    expect(seen).toHaveLength(5);
  });

  it('rejects wrong options with a ConfigError naming the option', () => {
    for (const [options, option] of [
      [{ delayMs: -1 }, 'hedge.delayMs'],
      [{ maxHedges: 11 }, 'hedge.maxHedges'],
      [{ methods: 'GET' }, 'hedge.methods'],
      [{ failureOn: [600] }, 'hedge.failureOn.0'],
    ] as const) {
      expect(() => hedge(options as never)).toThrow(expect.objectContaining({ code: 'CONFIG', option }));
    }
  });
});
