import { createFakeClock, createFetch, isTimeoutError } from '@ferrule/core';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { recordEvents, recordingFetch } from '../test/helpers.ts';
import { resilience } from './resilience.ts';

const exact = { jitter: 'none', initialDelayMs: 100 } as const;

describe('resilience over real HTTP', () => {
  it('retries 503, 503 and answers 200 on attempt 3, each wait on both sides of its boundary', async () => {
    const server = await createTestServer({ 'GET /flaky': [{ status: 503 }, { status: 503 }, { json: 'ok' }] });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({ use: [resilience({ retry: { backoff: exact } })], clock, onEvent: recorded.onEvent });
    const pending = fetch(`${server.url}/flaky`);
    for (const [attempt, waitMs] of [
      [1, 100],
      [2, 200],
    ] as const) {
      // The retry sleeps once it said so; the attempt timer of the next attempt has not started.
      await waitUntil(() => recorded.of('retry').length === attempt);
      await clock.advance(waitMs - 1);
      expect(server.requests).toHaveLength(attempt);
      expect(clock.pending).toBe(1);
      await clock.advance(1);
    }
    expect(await (await pending).json()).toBe('ok');
    expect(server.requests).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it('times each attempt, retries the timed-out one, and counts it in the breaker', async () => {
    const server = await createTestServer({
      'GET /slow': [{ delayMs: 10_000 }, { json: 'second' }],
    });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({
      use: [resilience({ timeout: { attemptMs: 1_000 }, retry: { backoff: { initialDelayMs: 0 } } })],
      clock,
      onEvent: recorded.onEvent,
    });
    const pending = fetch(`${server.url}/slow`);
    await waitUntil(() => server.requests.length === 1);
    await clock.advance(1_000);
    expect(await (await pending).json()).toBe('second');
    await waitUntil(() => server.requests[0]?.aborted === true);
    expect(recorded.of('timeout')).toEqual([{ scope: 'attempt', timeoutMs: 1_000 }]);
    expect(recorded.of('retry')).toEqual([{ attempt: 2, delayMs: 0, reason: 'timeout' }]);
  });

  it('bounds every attempt and wait with the total timeout', async () => {
    const server = await createTestServer({ 'GET /down': { status: 503 } });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({
      use: [resilience({ timeout: { totalMs: 250 }, retry: { backoff: exact, maxAttempts: 5 } })],
      clock,
      onEvent: recorded.onEvent,
    });
    const pending = fetch(`${server.url}/down`);
    pending.catch(() => {});
    await waitUntil(() => recorded.of('retry').length === 1);
    await clock.advance(100);
    await waitUntil(() => recorded.of('retry').length === 2);
    // The total timer and the retry's 200 ms wait.
    expect(clock.pending).toBe(2);
    await clock.advance(149);
    expect(clock.pending).toBe(2);
    await clock.advance(1);
    const error = await pending.catch((caught: unknown) => caught);
    expect(isTimeoutError(error) && error.scope).toBe('total');
    expect(server.requests).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });
});

describe('resilience composition', () => {
  it('does not retry an open circuit', async () => {
    const { fetch: next, seen } = recordingFetch(() => new Response(null, { status: 500 }));
    const fetch = createFetch({
      use: [
        resilience({
          retry: { backoff: { initialDelayMs: 0 }, maxAttempts: 5 },
          circuitBreaker: { breaker: { type: 'consecutive', threshold: 2 } },
        }),
      ],
      fetch: next,
      clock: createFakeClock(),
    });
    await expect(fetch('https://api.test/a')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(seen).toHaveLength(2);
  });

  it('retries a POST only when asked to give it an idempotency key', async () => {
    const { fetch: next, seen } = recordingFetch(
      (_request, index) => new Response(null, { status: index ? 201 : 503 }),
    );
    const plain = createFetch({ use: [resilience({ retry: { backoff: { initialDelayMs: 0 } } })], fetch: next });
    expect((await plain('https://api.test/a', { method: 'POST', body: 'x' })).status).toBe(503);
    expect(seen).toHaveLength(1);
    const keyed = createFetch({
      use: [resilience({ idempotencyKey: true, retry: { backoff: { initialDelayMs: 0 } } })],
      fetch: next,
    });
    expect((await keyed('https://api.test/a', { method: 'POST', body: 'x' })).status).toBe(201);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.request.headers.get('idempotency-key')).toMatch(/^"/);
  });

  it('leaves out what is set to false, and still honours per-call timeouts', async () => {
    const { fetch: next, seen } = recordingFetch(() => new Response(null, { status: 503 }));
    const clock = createFakeClock();
    const fetch = createFetch({
      use: [resilience({ retry: false, circuitBreaker: false })],
      fetch: next,
      clock,
    });
    for (let call = 0; call < 10; call++) expect((await fetch('https://api.test/a')).status).toBe(503);
    expect(seen).toHaveLength(10);
    const never = createFetch({
      use: [resilience({ timeout: { attemptMs: Number.POSITIVE_INFINITY } })],
      fetch: () => new Promise<Response>(() => {}),
      clock,
    });
    const pending = never('https://api.test/a', { ferrule: { timeout: { totalMs: 50 } } });
    pending.catch(() => {});
    await clock.advance(50);
    await expect(pending).rejects.toMatchObject({ code: 'TIMEOUT', scope: 'total' });
  });

  it('rejects an unknown concern and wrong concern options with a ConfigError', () => {
    expect(() => resilience({ retries: 3 } as never)).toThrow(
      expect.objectContaining({ option: 'resilience.retries' }),
    );
    expect(() => resilience({ retry: { maxAttempts: 0 } })).toThrow(
      expect.objectContaining({ option: 'retry.maxAttempts' }),
    );
    expect(() => resilience({ timeout: 5_000 as never })).toThrow(expect.objectContaining({ option: 'timeout' }));
  });
});

describe('the attempt timeout and the layers below it', () => {
  // Stands in for a rate limiter: the attempt waits in its queue before it is sent.
  const queued =
    (waitMs: number) =>
    async (
      request: Request,
      context: Parameters<import('@ferrule/core').Middleware>[1],
      next: import('@ferrule/core').Next,
    ) => {
      await context.clock.sleep(waitMs, context.signal);
      return next(request, context);
    };

  it('starts the attempt clock when the attempt reaches the network, not while it waits in a queue', async () => {
    const server = await createTestServer({ 'GET /items': { json: 'ok' } });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({
      use: [resilience({ timeout: { attemptMs: 1_000 }, retry: false }), queued(5_000)],
      clock,
      onEvent: recorded.onEvent,
    });
    const pending = fetch(`${server.url}/items`);
    await waitUntil(() => clock.pending === 1);
    await clock.advance(5_000);
    expect(await (await pending).json()).toBe('ok');
    expect(recorded.of('timeout')).toEqual([]);
  });

  it('still times an attempt out once it is on the network, counted from there', async () => {
    const server = await createTestServer({ 'GET /stall': { delayMs: 10_000 } });
    const clock = createFakeClock();
    const fetch = createFetch({
      use: [resilience({ timeout: { attemptMs: 1_000 }, retry: false, circuitBreaker: false }), queued(5_000)],
      clock,
    });
    const pending = fetch(`${server.url}/stall`);
    pending.catch(() => {});
    await waitUntil(() => clock.pending === 1);
    await clock.advance(5_000);
    await waitUntil(() => server.requests.length === 1 && clock.pending === 1);
    await clock.advance(999);
    expect(server.requests[0]?.aborted).toBe(false);
    await clock.advance(1);
    const error = await pending.catch((caught: unknown) => caught);
    expect(isTimeoutError(error) && error.scope).toBe('attempt');
    await waitUntil(() => server.requests[0]?.aborted === true);
  });

  it('bounds the queue wait with the total timeout', async () => {
    const clock = createFakeClock();
    const fetch = createFetch({
      use: [resilience({ timeout: { attemptMs: 1_000, totalMs: 3_000 }, retry: false }), queued(5_000)],
      clock,
    });
    const pending = fetch('http://127.0.0.1:9/never-sent');
    pending.catch(() => {});
    await waitUntil(() => clock.pending === 2);
    await clock.advance(2_999);
    expect(clock.pending).toBe(2);
    await clock.advance(1);
    const error = await pending.catch((caught: unknown) => caught);
    expect(isTimeoutError(error) && error.scope).toBe('total');
  });
});
