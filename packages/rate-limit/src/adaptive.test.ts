import { createFakeClock, type RateLimitStore } from '@ferrule/core';
import { waitForSleepers } from '@ferrule/testing';
import { describe, expect, it } from 'vitest';
import { flush, harness } from '../test/harness.ts';
import { concurrency, memoryRateLimitStore, tokenBucket } from './index.ts';

const api = 'https://api.test';
// RFC 9110 §10.2.3's own example date is one minute after this clock's start.
const startMs = Date.parse('Wed, 21 Oct 2015 07:27:00 GMT');
const epochSeconds = (ms: number) => String(Math.floor(ms / 1000));

interface Sample {
  name: string;
  status: number;
  headers: Record<string, string>;
  pauseMs: number;
  reason: string;
}

// Header samples as the named APIs and specifications send them.
const samples: Sample[] = [
  {
    name: 'Retry-After in delay-seconds on a 429 (RFC 9110 §10.2.3)',
    status: 429,
    headers: { 'retry-after': '120' },
    pauseMs: 120_000,
    reason: 'retry-after (429)',
  },
  {
    name: 'Retry-After as an HTTP-date on a 503 (RFC 9110 §10.2.3)',
    status: 503,
    headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' },
    pauseMs: 60_000,
    reason: 'retry-after (503)',
  },
  {
    name: 'retry-after-ms on a 429 (OpenAI, Azure OpenAI)',
    status: 429,
    headers: { 'retry-after-ms': '1500', 'retry-after': '2' },
    pauseMs: 1_500,
    reason: 'retry-after (429)',
  },
  {
    name: 'a secondary rate limit: 403 with Retry-After (GitHub)',
    status: 403,
    headers: { 'retry-after': '60', 'content-type': 'application/json' },
    pauseMs: 60_000,
    reason: 'retry-after (403)',
  },
  {
    name: 'a primary rate limit: X-RateLimit-Reset in epoch seconds (GitHub)',
    status: 403,
    headers: {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '5000',
      'x-ratelimit-reset': epochSeconds(startMs + 1_800_000),
      'x-ratelimit-resource': 'core',
    },
    pauseMs: 1_800_000,
    reason: 'quota-exhausted',
  },
  {
    name: 'x-ratelimit-*-requests with a duration reset (OpenAI)',
    status: 200,
    headers: {
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '6m0s',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-tokens': '6ms',
    },
    pauseMs: 360_000,
    reason: 'quota-exhausted',
  },
  {
    name: 'X-RateLimit-Reset-After in fractional seconds (Discord)',
    status: 200,
    headers: {
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '1445412481.123',
      'x-ratelimit-reset-after': '1.2',
      'x-ratelimit-bucket': 'abcd1234',
    },
    pauseMs: 1_200,
    reason: 'quota-exhausted',
  },
  {
    name: 'x-rate-limit-* with an epoch reset (X, formerly Twitter)',
    status: 200,
    headers: {
      'x-rate-limit-limit': '900',
      'x-rate-limit-remaining': '0',
      'x-rate-limit-reset': epochSeconds(startMs + 900_000),
    },
    pauseMs: 900_000,
    reason: 'quota-exhausted',
  },
  {
    name: 'RateLimit-Limit/-Remaining/-Reset (IETF drafts up to 6)',
    status: 200,
    headers: { 'ratelimit-limit': '100', 'ratelimit-remaining': '0', 'ratelimit-reset': '50' },
    pauseMs: 50_000,
    reason: 'quota-exhausted',
  },
  {
    name: 'RateLimit as a Dictionary (IETF draft 7)',
    status: 200,
    headers: { ratelimit: 'limit=100, remaining=0, reset=50', 'ratelimit-policy': '100;w=60' },
    pauseMs: 50_000,
    reason: 'quota-exhausted',
  },
  {
    name: 'RateLimit as a List of named policies (IETF drafts 8 to 11)',
    status: 200,
    headers: {
      ratelimit: '"default";r=0;t=50, "daily";r=800;t=7200',
      'ratelimit-policy': '"default";q=100;w=60, "daily";q=1000;w=86400',
    },
    pauseMs: 50_000,
    reason: 'quota-exhausted',
  },
  {
    name: 'a 429 with both Retry-After and quota headers: the longer wait holds',
    status: 429,
    headers: { 'retry-after': '30', ratelimit: '"default";r=0;t=20', 'ratelimit-policy': '"default";q=10;w=60' },
    pauseMs: 30_000,
    reason: 'retry-after (429)',
  },
];

describe('rateLimit: adaptive, over real header samples', () => {
  it.each(samples)('pauses the key on $name', async ({ status, headers, pauseMs, reason }) => {
    const { clock, fetch, paths, limits } = harness(
      {},
      (_request, index) => (index === 1 ? new Response(null, { status, headers }) : new Response('ok')),
      createFakeClock(startMs),
    );
    expect((await fetch(`${api}/first`)).status).toBe(status);
    const second = fetch(`${api}/second`);
    await waitForSleepers(clock);
    await clock.advance(pauseMs - 1);
    expect(paths()).toEqual(['/first']);
    await clock.advance(1);
    await second;
    expect(paths()).toEqual(['/first', '/second']);
    expect(limits()).toContainEqual(
      expect.objectContaining({ action: 'paused', key: api, reason, untilMs: startMs + pauseMs }),
    );
  });

  it.each([
    ['a Retry-After that is not a delay', 429, { 'retry-after': 'soon' }],
    ['a negative Retry-After', 503, { 'retry-after': '-5' }],
    ['a Retry-After on a 500', 500, { 'retry-after': '60' }],
    ['a Retry-After on a 200', 200, { 'retry-after': '60' }],
    ['a 403 without Retry-After (an auth failure)', 403, {}],
    ['a malformed RateLimit field', 200, { ratelimit: 'remaining=lots, reset=soon' }],
    ['an X-RateLimit-Remaining without a number', 200, { 'x-ratelimit-remaining': 'none', 'x-ratelimit-reset': '5' }],
    ['a quota without a reset time', 200, { 'x-ratelimit-remaining': '0' }],
  ])('ignores %s', async (_name, status, headers) => {
    const { fetch, paths, limits } = harness({}, () => new Response(null, { status, headers }));
    await fetch(`${api}/first`);
    await fetch(`${api}/second`);
    expect(paths()).toEqual(['/first', '/second']);
    expect(limits()).toEqual([]);
  });
});

describe('rateLimit: adaptive pauses', () => {
  it('pauses every queued call of the key, not only the one that got the 429, and no other key', async () => {
    const { clock, fetch, paths } = harness({ policy: concurrency({ max: 1 }) }, (request) =>
      new URL(request.url).pathname === '/first'
        ? new Response(null, { status: 429, headers: { 'retry-after': '2' } })
        : new Response('ok'),
    );
    const calls = [fetch(`${api}/first`), fetch(`${api}/second`), fetch(`${api}/third`)];
    await waitForSleepers(clock);
    expect(paths()).toEqual(['/first']);
    await fetch('https://other.test/free');
    await clock.advance(1_999);
    expect(paths()).toEqual(['/first', '/free']);
    await clock.advance(1);
    await Promise.all(calls);
    expect(paths()).toEqual(['/first', '/free', '/second', '/third']);
  });

  it('shares a pause through the store, so another client of the same store pauses too', async () => {
    const clock = createFakeClock(0);
    const store = memoryRateLimitStore({ clock });
    const paused: [string, number][] = [];
    const sharing: RateLimitStore = {
      take: store.take,
      pause: async (key, durationMs) => {
        paused.push([key, durationMs]);
        return store.pause(key, durationMs);
      },
    };
    const policy = tokenBucket({ ratePerSecond: 100 });
    const one = harness(
      { policy, store: sharing },
      () => new Response(null, { status: 429, headers: { 'retry-after': '3' } }),
      clock,
    );
    const two = harness({ policy, store: sharing }, undefined, clock);
    await one.fetch(`${api}/one`);
    expect(paused).toEqual([[`${api}#token-bucket:100:100`, 3_000]]);
    const waiting = two.fetch(`${api}/two`);
    await waitForSleepers(clock);
    await clock.advance(2_999);
    expect(two.sent).toHaveLength(0);
    await clock.advance(1);
    await waiting;
    expect(two.sent).toHaveLength(1);
  });

  it('keeps a longer pause when a shorter Retry-After arrives', async () => {
    const { clock, fetch, paths, hold, finish } = harness(
      {},
      (_request, index) => new Response(null, { status: 429, headers: { 'retry-after': index === 1 ? '10' : '1' } }),
    );
    hold();
    const calls = [fetch(`${api}/long`), fetch(`${api}/short`)];
    await flush();
    await finish();
    await finish();
    await Promise.all(calls);
    const third = fetch(`${api}/third`);
    await waitForSleepers(clock);
    await clock.advance(9_999);
    expect(paths()).toHaveLength(2);
    await clock.advance(1);
    await flush();
    await finish();
    await third;
  });

  it('fails queued calls at once when a pause outlasts maxWaitMs, naming the pause', async () => {
    const { clock, fetch, limits } = harness(
      { policy: concurrency({ max: 1 }), maxWaitMs: 5_000 },
      (_request, index) =>
        index === 1 ? new Response(null, { status: 429, headers: { 'retry-after': '60' } }) : new Response('ok'),
    );
    const first = fetch(`${api}/first`);
    const queued = fetch(`${api}/queued`);
    await first;
    await expect(queued).rejects.toMatchObject({ reason: 'max-wait', retryAfterMs: 60_000 });
    await expect(fetch(`${api}/later`)).rejects.toMatchObject({ reason: 'max-wait', retryAfterMs: 60_000 });
    expect(limits().filter((event) => event.action === 'rejected')).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });

  it('follows no header with adaptive: false', async () => {
    const { fetch, paths } = harness(
      { adaptive: false, policy: concurrency({ max: 5 }) },
      () => new Response(null, { status: 429, headers: { 'retry-after': '60' } }),
    );
    await fetch(`${api}/first`);
    await fetch(`${api}/second`);
    expect(paths()).toEqual(['/first', '/second']);
  });
});

describe('rateLimit: adaptive quota', () => {
  const quota = (remaining: number, resetSeconds: number, limit = 100) =>
    new Response('ok', {
      headers: {
        ratelimit: `"default";r=${remaining};t=${resetSeconds}`,
        'ratelimit-policy': `"default";q=${limit};w=60`,
      },
    });

  it('counts the calls it sends against the quota and stops before the server would refuse', async () => {
    const { clock, fetch, paths, limits } = harness({}, (_request, index) =>
      index === 1 ? quota(2, 10, 10) : new Response('ok'),
    );
    await fetch(`${api}/1`);
    await fetch(`${api}/2`);
    await fetch(`${api}/3`);
    const fourth = fetch(`${api}/4`);
    await waitForSleepers(clock);
    await clock.advance(9_999);
    expect(paths()).toEqual(['/1', '/2', '/3']);
    await clock.advance(1);
    await fourth;
    expect(limits()).toContainEqual({
      action: 'paused',
      key: api,
      waitMs: 10_000,
      untilMs: 10_000,
      reason: 'quota-exhausted',
    });
  });

  it('assumes calls still in flight were not counted in an answer', async () => {
    const { clock, fetch, paths, hold, finish } = harness({}, (_request, index) =>
      index === 1 ? quota(2, 10) : new Response('ok'),
    );
    hold();
    const inFlight = [fetch(`${api}/1`), fetch(`${api}/2`), fetch(`${api}/3`)];
    await flush();
    await finish(); // remaining 2, but two calls are still out
    const fourth = fetch(`${api}/4`);
    await finish();
    await finish();
    await Promise.all(inFlight);
    await waitForSleepers(clock);
    expect(paths()).toEqual(['/1', '/2', '/3']);
    await clock.advance(10_000);
    await flush();
    await finish();
    await fourth;
  });

  it('takes the earliest reset a window names, since servers round resets up', async () => {
    const { clock, fetch, paths } = harness({}, (_request, index) =>
      index === 1 ? quota(1, 5, 10) : index === 2 ? quota(0, 2, 10) : new Response('ok'),
    );
    await fetch(`${api}/1`);
    await fetch(`${api}/2`);
    const third = fetch(`${api}/3`);
    await waitForSleepers(clock);
    await clock.advance(1_999);
    expect(paths()).toHaveLength(2);
    await clock.advance(1);
    await third;
  });

  it('sees a new window in a jump of remaining beyond the calls in flight, though the reset looks the same', async () => {
    const { clock, fetch, paths, hold, finish } = harness({}, (_request, index) =>
      index === 1 ? quota(1, 1, 10) : index === 2 ? quota(9, 1, 10) : new Response('ok'),
    );
    hold();
    const calls = [fetch(`${api}/1`), fetch(`${api}/2`), fetch(`${api}/3`)];
    await flush();
    await finish(); // 1 left with two calls out: the lane stops until the reset
    calls.push(fetch(`${api}/4`));
    await flush();
    expect(paths()).toHaveLength(3);
    await finish(); // 9 left: a new window has begun
    expect(paths()).toHaveLength(4);
    expect(clock.now()).toBe(0);
    await finish();
    await finish();
    await Promise.all(calls);
  });

  it('spreads the last tenth of the quota evenly over the time left, and says so once', async () => {
    const { clock, fetch, paths, limits } = harness({}, (_request, index) =>
      index === 1 ? quota(5, 10) : new Response('ok'),
    );
    await fetch(`${api}/1`);
    await fetch(`${api}/2`); // 4 left for 10 s: one every 2.5 s
    const third = fetch(`${api}/3`);
    await waitForSleepers(clock);
    await clock.advance(2_499);
    expect(paths()).toHaveLength(2);
    await clock.advance(1);
    await third;
    expect(limits().filter((event) => event.action === 'slowed')).toEqual([
      { action: 'slowed', key: api, waitMs: 2_500, untilMs: 10_000, reason: 'quota-low' },
    ]);
  });

  it('keeps calls flowing side by side while the server says its quota is there now (reset 0)', async () => {
    const { fetch, paths, hold, finish } = harness({}, () => quota(40, 0, 50));
    await fetch(`${api}/1`);
    hold();
    const calls = [fetch(`${api}/2`), fetch(`${api}/3`), fetch(`${api}/4`)];
    await flush();
    expect(paths()).toEqual(['/1', '/2', '/3', '/4']);
    for (const _ of calls) await finish();
    await Promise.all(calls);
  });

  it('never slows down with slowBelow 0', async () => {
    const { fetch, paths } = harness({ adaptive: { slowBelow: 0 } }, (_request, index) =>
      index === 1 ? quota(5, 10) : new Response('ok'),
    );
    for (let index = 1; index <= 6; index++) await fetch(`${api}/${index}`);
    expect(paths()).toHaveLength(6);
  });

  it('after the reset, sends one probe and waits for its answer before the rest', async () => {
    const { clock, fetch, paths, hold, finish } = harness({}, (_request, index) =>
      index === 1 ? quota(0, 1) : index === 2 ? quota(50, 60) : new Response('ok'),
    );
    await fetch(`${api}/1`);
    hold();
    const calls = [fetch(`${api}/2`), fetch(`${api}/3`), fetch(`${api}/4`)];
    await waitForSleepers(clock);
    await clock.advance(1_000);
    await flush();
    expect(paths()).toEqual(['/1', '/2']);
    await finish(); // the probe learns: 50 left
    expect(paths()).toEqual(['/1', '/2', '/3', '/4']);
    await finish();
    await finish();
    await Promise.all(calls);
  });

  it('forgets the quota when the probe comes back without quota headers', async () => {
    const { clock, fetch, paths } = harness({}, (_request, index) => (index === 1 ? quota(0, 1) : new Response('ok')));
    await fetch(`${api}/1`);
    const calls = [fetch(`${api}/2`), fetch(`${api}/3`), fetch(`${api}/4`)];
    await waitForSleepers(clock);
    await clock.advance(1_000);
    await Promise.all(calls);
    expect(paths()).toEqual(['/1', '/2', '/3', '/4']);
  });
});
