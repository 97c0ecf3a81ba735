import {
  type Context,
  createFetch,
  type FerruleEvent,
  isRateLimitedError,
  type Middleware,
  type RateLimitStore,
  StoreError,
} from '@ferrule/core';
import { waitForSleepers } from '@ferrule/testing';
import { describe, expect, it } from 'vitest';
import { flush, harness } from '../test/harness.ts';
import { concurrency, fixedWindow, memoryRateLimitStore, rateLimit, slidingWindow, tokenBucket } from './index.ts';

const api = 'https://api.test';

describe('rateLimit: policies', () => {
  it('lets a token bucket burst, then makes the next call wait exactly for its token', async () => {
    const { clock, fetch, paths, limits } = harness({ policy: tokenBucket({ ratePerSecond: 10, burst: 2 }) });
    const calls = [fetch(`${api}/1`), fetch(`${api}/2`), fetch(`${api}/3`)];
    await waitForSleepers(clock);
    expect(paths()).toEqual(['/1', '/2']);
    await clock.advance(99);
    expect(paths()).toEqual(['/1', '/2']);
    await clock.advance(1);
    await Promise.all(calls);
    expect(paths()).toEqual(['/1', '/2', '/3']);
    expect(limits()).toEqual([{ action: 'waited', key: api, waitMs: 100 }]);
  });

  it('holds a sliding window to its limit in any span of windowMs', async () => {
    const { clock, fetch, paths } = harness({ policy: slidingWindow({ limit: 2, windowMs: 1_000 }) });
    const calls = [fetch(`${api}/1`)];
    await clock.advance(400);
    calls.push(fetch(`${api}/2`), fetch(`${api}/3`));
    await waitForSleepers(clock);
    await clock.advance(599);
    expect(paths()).toEqual(['/1', '/2']);
    await clock.advance(1);
    await Promise.all(calls);
    expect(paths()).toEqual(['/1', '/2', '/3']);
  });

  it('lets a fixed window grant again when the next aligned window starts', async () => {
    const { clock, fetch, paths } = harness({ policy: fixedWindow({ limit: 1, windowMs: 1_000 }) });
    await clock.advance(250);
    const calls = [fetch(`${api}/1`), fetch(`${api}/2`)];
    await waitForSleepers(clock);
    await clock.advance(749);
    expect(paths()).toEqual(['/1']);
    await clock.advance(1);
    await Promise.all(calls);
    expect(paths()).toEqual(['/1', '/2']);
  });

  it('keeps at most max calls in flight and lets the next go when one is answered', async () => {
    const { fetch, paths, hold, finish } = harness({ policy: concurrency({ max: 2 }) });
    hold();
    const calls = [1, 2, 3].map((index) => fetch(`${api}/${index}`));
    await flush();
    expect(paths()).toEqual(['/1', '/2']);
    await finish();
    expect(paths()).toEqual(['/1', '/2', '/3']);
    await finish();
    await finish();
    expect((await Promise.all(calls)).map((response) => response.status)).toEqual([200, 200, 200]);
  });

  it('combines policies: 10 per second and at most 4 in flight', async () => {
    const { clock, fetch, paths, hold, finish } = harness({
      policy: [tokenBucket({ ratePerSecond: 10, burst: 10 }), concurrency({ max: 4 })],
    });
    hold();
    const calls = Array.from({ length: 12 }, (_, index) => fetch(`${api}/${index}`));
    await flush();
    expect(paths()).toHaveLength(4);
    for (let index = 0; index < 8; index++) await finish();
    expect(paths()).toHaveLength(10); // the burst is spent: the 11th waits for a token, not a slot
    await clock.advance(99);
    expect(paths()).toHaveLength(10);
    await clock.advance(1);
    await flush();
    expect(paths()).toHaveLength(11);
    for (let index = 0; index < 4; index++) await finish();
    await clock.advance(100);
    await flush();
    for (let index = 0; index < 2; index++) await finish();
    await Promise.all(calls);
    expect(paths()).toHaveLength(12);
  });

  it('takes a permit for every attempt, so retries outside cannot exceed the limit', async () => {
    const twice: Middleware = async (request, context, next) => {
      await (await next(request, context)).arrayBuffer();
      return next(request, { ...context, attempt: 2 });
    };
    const store = memoryRateLimitStore();
    const taken: number[] = [];
    const counting: RateLimitStore = {
      take: async (key, policy, cost) => {
        taken.push(cost ?? 1);
        return store.take(key, policy, cost);
      },
      pause: store.pause,
    };
    const { createFetch } = await import('@ferrule/core');
    const fetch = createFetch({
      use: [twice, rateLimit({ policy: tokenBucket({ ratePerSecond: 100 }), store: counting })],
      fetch: async () => new Response('ok'),
    });
    await fetch(`${api}/retry`);
    expect(taken).toEqual([1, 1]);
  });
});

describe('rateLimit: the queue', () => {
  it('lets waiting calls go by priority, then in order of arrival', async () => {
    const { clock, fetch, paths } = harness({ policy: tokenBucket({ ratePerSecond: 1 }) });
    const calls = [fetch(`${api}/first`)];
    for (const [name, priority] of [
      ['low', -1],
      ['high-1', 5],
      ['normal', 0],
      ['high-2', 5],
    ] as const) {
      calls.push(fetch(`${api}/${name}`, { ferrule: { rateLimit: { priority } } }));
    }
    await waitForSleepers(clock);
    for (let index = 0; index < 4; index++) await clock.advance(1_000);
    await Promise.all(calls);
    expect(paths()).toEqual(['/first', '/high-1', '/high-2', '/normal', '/low']);
  });

  it("removes an aborted call from the queue at once, with the caller's reason, and clears its timer", async () => {
    const { clock, fetch, paths } = harness({ policy: tokenBucket({ ratePerSecond: 1 }) });
    await fetch(`${api}/first`);
    const controller = new AbortController();
    const waiting = fetch(`${api}/aborted`, { signal: controller.signal });
    await waitForSleepers(clock);
    controller.abort(new Error('user left'));
    await expect(waiting).rejects.toThrow('user left');
    expect(clock.pending).toBe(0);
    const next = fetch(`${api}/next`);
    await waitForSleepers(clock);
    await clock.advance(1_000);
    await next;
    expect(paths()).toEqual(['/first', '/next']);
  });

  it('fails a call at once with RateLimitedError when the queue of its key is full', async () => {
    const { clock, fetch, limits } = harness({ policy: tokenBucket({ ratePerSecond: 1 }), maxQueued: 1 });
    await fetch(`${api}/first`);
    const queued = fetch(`${api}/queued`);
    const refused = fetch(`${api}/refused?api_key=hunter2`);
    const error = await refused.catch((caught: unknown) => caught);
    expect(isRateLimitedError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'queue-full', method: 'GET' });
    expect(String((error as Error).message)).not.toContain('hunter2');
    expect(limits()).toContainEqual({ action: 'rejected', key: api, reason: 'queue-full' });
    await waitForSleepers(clock);
    await clock.advance(1_000);
    expect((await queued).status).toBe(200);
  });

  it('never queues with maxQueued 0: a call that cannot go at once fails', async () => {
    const { fetch } = harness({ policy: tokenBucket({ ratePerSecond: 1 }), maxQueued: 0 });
    await fetch(`${api}/first`);
    await expect(fetch(`${api}/second`)).rejects.toSatisfy(isRateLimitedError);
  });

  it('fails a call at once when its known wait exceeds maxWaitMs, naming the wait', async () => {
    const { fetch } = harness({ policy: tokenBucket({ ratePerSecond: 1 }), maxWaitMs: 999 });
    await fetch(`${api}/first`);
    await expect(fetch(`${api}/second`)).rejects.toMatchObject({ reason: 'max-wait', retryAfterMs: 1_000 });
  });

  it('waits up to exactly maxWaitMs', async () => {
    const { clock, fetch, paths } = harness({ policy: tokenBucket({ ratePerSecond: 1 }), maxWaitMs: 1_000 });
    await fetch(`${api}/first`);
    const second = fetch(`${api}/second`);
    await waitForSleepers(clock);
    await clock.advance(1_000);
    expect((await second).status).toBe(200);
    expect(paths()).toEqual(['/first', '/second']);
  });

  it('fails a call waiting for a slot once maxWaitMs has passed, not before', async () => {
    const { clock, fetch, hold, finish } = harness({ policy: concurrency({ max: 1 }), maxWaitMs: 100 });
    hold();
    const first = fetch(`${api}/first`);
    let outcome: unknown;
    const second = fetch(`${api}/second`).then(
      () => 'sent',
      (error: unknown) => error,
    );
    void second.then((value) => {
      outcome = value;
    });
    await waitForSleepers(clock);
    await clock.advance(99);
    await flush();
    expect(outcome).toBeUndefined();
    await clock.advance(1);
    await flush();
    expect(outcome).toMatchObject({ reason: 'max-wait' });
    expect(clock.pending).toBe(0);
    await finish();
    await first;
  });

  it('lets a call waiting for a slot go as soon as the slot frees, even with maxWaitMs', async () => {
    const { fetch, paths, hold, finish } = harness({ policy: concurrency({ max: 1 }), maxWaitMs: 5_000 });
    hold();
    const calls = [fetch(`${api}/first`), fetch(`${api}/second`)];
    await flush();
    expect(paths()).toEqual(['/first']);
    await finish();
    expect(paths()).toEqual(['/first', '/second']);
    await finish();
    await Promise.all(calls);
  });

  it('fails at once a call that costs more than a policy could ever grant', async () => {
    const { fetch, sent } = harness({ policy: tokenBucket({ ratePerSecond: 5, burst: 5 }) });
    await expect(fetch(`${api}/bulk`, { ferrule: { rateLimit: { cost: 6 } } })).rejects.toMatchObject({
      reason: 'cost-exceeds-limit',
    });
    expect(sent).toHaveLength(0);
  });

  it('takes as many permits as a call costs', async () => {
    const { clock, fetch, paths } = harness({ policy: tokenBucket({ ratePerSecond: 1, burst: 3 }) });
    await fetch(`${api}/bulk`, { ferrule: { rateLimit: { cost: 3 } } });
    const next = fetch(`${api}/next`);
    await waitForSleepers(clock);
    await clock.advance(999);
    expect(paths()).toEqual(['/bulk']);
    await clock.advance(1);
    await next;
    expect(paths()).toEqual(['/bulk', '/next']);
  });
});

describe('rateLimit: keys and routes', () => {
  it('limits each origin apart by default', async () => {
    const { clock, fetch, paths } = harness({ policy: tokenBucket({ ratePerSecond: 1 }) });
    await fetch('https://a.test/1');
    await fetch('https://b.test/1');
    const waiting = fetch('https://a.test/2?x=1');
    await waitForSleepers(clock);
    expect(paths()).toEqual(['/1', '/1']);
    await clock.advance(1_000);
    await waiting;
  });

  it('keys calls by any function of the request, and by a per-call key', async () => {
    const { clock, fetch, paths, limits } = harness({
      policy: tokenBucket({ ratePerSecond: 1 }),
      key: (request) => request.headers.get('x-tenant') ?? 'anonymous',
    });
    await fetch(`${api}/a1`, { headers: { 'x-tenant': 'a' } });
    await fetch(`${api}/b1`, { headers: { 'x-tenant': 'b' } });
    await fetch(`${api}/c1`, { ferrule: { rateLimit: { key: 'batch' } } });
    const waiting = fetch(`${api}/a2`, { headers: { 'x-tenant': 'a' } });
    await waitForSleepers(clock);
    expect(paths()).toEqual(['/a1', '/b1', '/c1']);
    await clock.advance(1_000);
    await waiting;
    expect(limits()).toEqual([{ action: 'waited', key: 'a', waitMs: 1_000 }]);
  });

  it('gives a route rule its own limits, key, cost and priority', async () => {
    const { clock, fetch, paths } = harness({
      policy: tokenBucket({ ratePerSecond: 100, burst: 100 }),
      routes: [
        { match: 'POST /search', policy: tokenBucket({ ratePerSecond: 1 }), key: 'search' },
        { match: 'GET /export/*', cost: 60 },
      ],
    });
    await fetch(`${api}/search`, { method: 'POST' });
    const search = fetch(`${api}/search`, { method: 'POST' });
    await fetch(`${api}/export/1`);
    await fetch(`${api}/items`);
    await waitForSleepers(clock);
    expect(paths()).toEqual(['/search', '/export/1', '/items']);
    const export2 = fetch(`${api}/export/2`); // 60 of the 39 left: waits for 21 tokens
    await waitForSleepers(clock, 2);
    await clock.advance(209);
    expect(paths()).toHaveLength(3);
    await clock.advance(1);
    await export2;
    await clock.advance(790);
    await search;
    expect(paths()).toEqual(['/search', '/export/1', '/items', '/export/2', '/search']);
  });

  it('passes calls through untouched when it has no limit and adapts to nothing', async () => {
    const below: Request[] = [];
    const events: FerruleEvent[] = [];
    const fetch = createFetch({
      use: [
        rateLimit({ adaptive: false }),
        async (request) => {
          below.push(request);
          return new Response('ok', { headers: { 'retry-after': '60' }, status: 429 });
        },
      ],
      onEvent: (event) => events.push(event),
    });
    const request = new Request(`${api}/x`);
    await fetch(request);
    await fetch(request.clone());
    expect(below[0]).toBe(request);
    expect(below).toHaveLength(2);
    expect(events).toEqual([]);
  });
});

describe('rateLimit: stores', () => {
  it('hands the store a counter per policy and the call emit, and shares one store between clients', async () => {
    const store = memoryRateLimitStore();
    const seen: { key: string; reports: boolean }[] = [];
    const reporting = {
      take: async (...args: unknown[]) => {
        const [key, policy, cost, emit] = args as [string, never, number, unknown];
        seen.push({ key, reports: typeof emit === 'function' });
        return store.take(key, policy, cost);
      },
      pause: store.pause,
    } as RateLimitStore;
    const policy = [tokenBucket({ ratePerSecond: 1 }), fixedWindow({ limit: 10, windowMs: 60_000 })];
    const one = harness({ policy, store: reporting });
    const two = harness({ policy, store: reporting });
    await one.fetch(`${api}/1`);
    const refused = two.fetch(`${api}/2`, { signal: AbortSignal.abort() }).catch(() => 'aborted');
    expect(await refused).toBe('aborted');
    expect(seen).toEqual([
      { key: `${api}#token-bucket:1:1`, reports: true },
      { key: `${api}#fixed-window:10:60000`, reports: true },
    ]);
  });

  it('fails the call with the store error and serves the queue on when the store recovers', async () => {
    let broken = true;
    const store = memoryRateLimitStore();
    const flaky: RateLimitStore = {
      take: async (key, policy, cost) => {
        if (broken) throw new StoreError('Redis unavailable');
        return store.take(key, policy, cost);
      },
      pause: store.pause,
    };
    const { fetch } = harness({ policy: tokenBucket({ ratePerSecond: 10 }), store: flaky });
    await expect(fetch(`${api}/1`)).rejects.toThrow('Redis unavailable');
    broken = false;
    expect((await fetch(`${api}/2`)).status).toBe(200);
  });
});

describe('rateLimit: options', () => {
  it.each([
    [{ policy: { type: 'token-bucket', ratePerSecond: 0, burst: 1 } }, 'rateLimit.policy.ratePerSecond'],
    [{ policy: [tokenBucket({ ratePerSecond: 1 }), { type: 'leaky' }] }, 'rateLimit.policy.1.type'],
    [{ maxQueued: -1 }, 'rateLimit.maxQueued'],
    [{ maxWaitMs: Number.NaN }, 'rateLimit.maxWaitMs'],
    [{ priority: Infinity }, 'rateLimit.priority'],
    [{ key: 'origin' }, 'rateLimit.key'],
    [{ store: { take: async () => ({}) } }, 'rateLimit.store.pause'],
    [{ adaptive: { slowBelow: 2 } }, 'rateLimit.adaptive.slowBelow'],
    [{ routes: [{ match: 'GET /a', cost: 0 }] }, 'rateLimit.routes.0.cost'],
    [{ routes: [{ match: 'GET /a b c' }] }, 'rateLimit.routes.0.match'],
    [{ limit: 10 }, 'rateLimit.limit'],
  ])('refuses %o with a ConfigError naming %s', (options, option) => {
    expect(() => rateLimit(options as never)).toThrow(expect.objectContaining({ code: 'CONFIG', option }));
  });

  it.each([
    [{ cost: 0 }, 'rateLimit.cost'],
    [{ cost: 1.5 }, 'rateLimit.cost'],
    [{ priority: 'high' }, 'rateLimit.priority'],
    [{ key: '' }, 'rateLimit.key'],
    [{ bypass: true }, 'rateLimit.bypass'],
  ])('fails a call whose per-call options are %o with a ConfigError, sending nothing', async (options, option) => {
    const { fetch, sent } = harness({ policy: tokenBucket({ ratePerSecond: 1 }) });
    await expect(fetch(`${api}/x`, { ferrule: { rateLimit: options as never } })).rejects.toMatchObject({
      code: 'CONFIG',
      option,
    });
    expect(sent).toHaveLength(0);
  });

  it('fails a call whose key function returns no string', async () => {
    const { fetch } = harness({ policy: tokenBucket({ ratePerSecond: 1 }), key: () => 42 as never });
    await expect(fetch(`${api}/x`)).rejects.toMatchObject({ code: 'CONFIG', option: 'rateLimit.key' });
  });

  it('checks the context it runs in only through the contract', async () => {
    // A bare middleware call, as another framework might make it, works without createFetch.
    const middleware = rateLimit({ policy: tokenBucket({ ratePerSecond: 1 }) });
    const context: Context = {
      signal: new AbortController().signal,
      attempt: 1,
      options: {},
      clock: (await import('@ferrule/core')).systemClock,
      emit: () => {},
    };
    const response = await middleware(new Request(`${api}/bare`), context, async () => new Response('bare'));
    expect(await response.text()).toBe('bare');
  });
});
