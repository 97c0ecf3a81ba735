import { createFakeClock, createFetch, isConfigError } from '@ferrule/core';
import { createTestServer, waitForSleepers, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { expectWait, recordEvents, recordingFetch } from '../test/helpers.ts';
import { idempotencyKey } from './idempotency-key.ts';
import { retry } from './retry.ts';

const exact = { jitter: 'none', initialDelayMs: 100 } as const;

describe('retry over real HTTP', () => {
  it('succeeds on attempt 3 after 503, 503, waiting 100 ms then 200 ms', async () => {
    const server = await createTestServer({ 'GET /flaky': [{ status: 503 }, { status: 503 }, { json: { ok: true } }] });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({ use: [retry({ backoff: exact })], clock, onEvent: recorded.onEvent });
    const pending = fetch(`${server.url}/flaky`);

    await waitForSleepers(clock);
    expect(server.requests).toHaveLength(1);
    await expectWait(clock, 100);
    expect(clock.pending).toBe(0);
    await waitUntil(() => server.requests.length === 2);

    await waitForSleepers(clock);
    await expectWait(clock, 200, { during: () => expect(server.requests).toHaveLength(2) });

    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(server.requests).toHaveLength(3);
    expect(recorded.of('retry')).toEqual([
      { attempt: 2, delayMs: 100, reason: 'status', status: 503 },
      { attempt: 3, delayMs: 200, reason: 'status', status: 503 },
    ]);
    expect(recorded.of('request').map((event) => event.attempt)).toEqual([1, 2, 3]);
  });

  it('waits for Retry-After before the second attempt', async () => {
    const server = await createTestServer({
      'GET /limited': [{ status: 429, headers: { 'retry-after': '3' } }, { json: { ok: true } }],
    });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [retry({ backoff: exact })], clock });
    const pending = fetch(`${server.url}/limited`);
    await waitForSleepers(clock);
    await expectWait(clock, 3_000);
    expect((await pending).status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  it('reads retry-after-ms and an HTTP-date Retry-After', async () => {
    const startMs = Date.parse('2026-03-01T12:00:00Z');
    const server = await createTestServer({
      'GET /ms': [{ status: 503, headers: { 'retry-after-ms': '1500' } }, { status: 200 }],
      'GET /date': [{ status: 503, headers: { 'retry-after': 'Sun, 01 Mar 2026 12:00:04 GMT' } }, { status: 200 }],
    });
    const clock = createFakeClock(startMs);
    const recorded = recordEvents();
    const fetch = createFetch({ use: [retry({ backoff: exact })], clock, onEvent: recorded.onEvent });
    for (const path of ['/date', '/ms']) {
      const pending = fetch(`${server.url}${path}`);
      await waitForSleepers(clock);
      await clock.next();
      expect((await pending).status).toBe(200);
    }
    expect(recorded.of('retry').map((event) => event.delayMs)).toEqual([4_000, 1_500]);
  });

  it('caps a Retry-After longer than maxRetryAfterMs', async () => {
    const server = await createTestServer({
      'GET /later': [{ status: 503, headers: { 'retry-after': '3600' } }, { status: 200 }],
    });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [retry({ backoff: exact, maxRetryAfterMs: 5_000 })], clock });
    const pending = fetch(`${server.url}/later`);
    await waitForSleepers(clock);
    await expectWait(clock, 5_000);
    expect((await pending).status).toBe(200);
  });

  it('never retries a POST without an Idempotency-Key once its body was sent', async () => {
    const server = await createTestServer({ 'POST /orders': [{ status: 503 }, { status: 201 }] });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({ use: [retry()], clock, onEvent: recorded.onEvent });
    const response = await fetch(`${server.url}/orders`, { method: 'POST', body: '{"sku":"a-1"}' });
    expect(response.status).toBe(503);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.text()).toBe('{"sku":"a-1"}');
    expect(recorded.of('retry')).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('retries a POST with an Idempotency-Key, sending the same key and body each time', async () => {
    const server = await createTestServer({ 'POST /orders': [{ status: 503 }, { status: 502 }, { status: 201 }] });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [idempotencyKey(), retry({ backoff: { initialDelayMs: 0 } })], clock });
    const response = await fetch(`${server.url}/orders`, { method: 'POST', body: '{"sku":"a-1"}' });
    expect(response.status).toBe(201);
    const keys = server.requests.map((request) => request.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(server.requests.map((request) => request.text())).toEqual(Array(3).fill('{"sku":"a-1"}'));
  });

  it('replays a streamed body on every attempt, reading the stream once', async () => {
    const server = await createTestServer({ 'PUT /files/a': [{ status: 503 }, { status: 204 }] });
    const clock = createFakeClock();
    let pulls = 0;
    const encoder = new TextEncoder();
    const parts = ['first part, ', 'second part'];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        const part = parts.shift();
        if (part === undefined) controller.close();
        else controller.enqueue(encoder.encode(part));
      },
    });
    const fetch = createFetch({ use: [retry({ backoff: { initialDelayMs: 0 } })], clock });
    const response = await fetch(`${server.url}/files/a`, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(204);
    expect(server.requests.map((request) => request.text())).toEqual([
      'first part, second part',
      'first part, second part',
    ]);
    expect(pulls).toBe(3);
  });

  it('retries a connection reset, and gives up after maxAttempts with the last error', async () => {
    const server = await createTestServer({
      'GET /reset': [{ reset: true }, { json: [1] }],
      'GET /dead': { reset: true },
    });
    const recorded = recordEvents();
    const fetch = createFetch({
      use: [retry({ backoff: { initialDelayMs: 0 }, maxAttempts: 2 })],
      onEvent: recorded.onEvent,
    });
    expect(await (await fetch(`${server.url}/reset`)).json()).toEqual([1]);
    await expect(fetch(`${server.url}/dead`)).rejects.toThrow(TypeError);
    expect(server.requestsTo('GET /dead')).toHaveLength(2);
    expect(recorded.of('retry').map((event) => event.reason)).toEqual(['network', 'network']);
    expect(recorded.of('retry-exhausted')).toEqual([{ attempts: 2, reason: 'max-attempts' }]);
  });

  it('returns the last response when every attempt failed, and never retries a 404', async () => {
    const server = await createTestServer({ 'GET /down': { status: 500, body: 'down' }, 'GET /gone': { status: 404 } });
    const fetch = createFetch({ use: [retry({ backoff: { initialDelayMs: 0 } })] });
    const response = await fetch(`${server.url}/down`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('down');
    expect(server.requestsTo('GET /down')).toHaveLength(3);
    expect((await fetch(`${server.url}/gone`)).status).toBe(404);
    expect(server.requestsTo('GET /gone')).toHaveLength(1);
  });

  it('stops at once when the caller aborts during the backoff, leaving no timer', async () => {
    const server = await createTestServer({ 'GET /flaky': { status: 503 } });
    const clock = createFakeClock();
    const controller = new AbortController();
    const fetch = createFetch({ use: [retry({ backoff: exact })], clock });
    const pending = fetch(`${server.url}/flaky`, { signal: controller.signal });
    await waitForSleepers(clock);
    controller.abort(new Error('user left'));
    await expect(pending).rejects.toThrow('user left');
    expect(clock.pending).toBe(0);
    expect(server.requests).toHaveLength(1);
  });
});

describe('retry decisions', () => {
  const failing = () => recordingFetch(() => new Response('no', { status: 503 }));

  it('gives up when the next wait would pass maxElapsedMs', async () => {
    const { fetch: terminal, seen } = failing();
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({
      use: [retry({ backoff: exact, maxAttempts: 10, maxElapsedMs: 350 })],
      fetch: terminal,
      clock,
      onEvent: recorded.onEvent,
    });
    const pending = fetch('https://api.test/slow');
    while (await clock.next()) {}
    expect((await pending).status).toBe(503);
    // Waits of 100 and 200 fit in 350 ms; the next one (400) would not.
    expect(seen).toHaveLength(3);
    expect(recorded.of('retry-exhausted')).toEqual([{ attempts: 3, reason: 'max-elapsed' }]);
  });

  it('keeps full jitter within [0, initialDelayMs × 2^n) and decorrelated jitter within maxDelayMs', async () => {
    const delaysOf = async (jitter: 'full' | 'decorrelated') => {
      const clock = createFakeClock();
      const recorded = recordEvents();
      const fetch = createFetch({
        use: [retry({ maxAttempts: 6, backoff: { jitter, initialDelayMs: 100 }, maxDelayMs: 1_000, budget: false })],
        fetch: failing().fetch,
        clock,
        onEvent: recorded.onEvent,
      });
      for (let call = 0; call < 20; call++) {
        const pending = fetch('https://api.test/x');
        while (await clock.next()) {}
        await pending;
      }
      return recorded.of('retry').map((event) => [event.attempt, event.delayMs] as const);
    };
    const full = await delaysOf('full');
    expect(full).toHaveLength(100);
    for (const [attempt, delayMs] of full) {
      expect(delayMs).toBeGreaterThanOrEqual(0);
      expect(delayMs).toBeLessThan(Math.min(1_000, 100 * 2 ** (attempt - 2)));
    }
    expect(new Set(full.map(([, delayMs]) => delayMs)).size).toBeGreaterThan(10);
    const decorrelated = await delaysOf('decorrelated');
    for (const [, delayMs] of decorrelated) expect(delayMs).toBeLessThanOrEqual(1_000);
    expect(new Set(decorrelated.map(([, delayMs]) => delayMs)).size).toBeGreaterThan(10);
  });

  it('lets a retryOn predicate decide alone, told the attempt and outcome', async () => {
    const { fetch: terminal, seen } = recordingFetch(
      (_request, index) => new Response(null, { status: index < 2 ? 409 : 200 }),
    );
    const states: number[] = [];
    const fetch = createFetch({
      use: [
        retry({
          backoff: { initialDelayMs: 0 },
          retryOn: ({ attempt, response }) => {
            states.push(attempt);
            return response?.status === 409;
          },
        }),
      ],
      fetch: terminal,
    });
    expect((await fetch('https://api.test/conflict')).status).toBe(200);
    expect(seen).toHaveLength(3);
    expect(states).toEqual([1, 2, 3]);
  });

  it('takes per-call options from init.ferrule, and route rules for callers that cannot pass them', async () => {
    const { fetch: terminal, seen } = failing();
    const fetch = createFetch({
      use: [retry({ backoff: { initialDelayMs: 0 }, routes: [{ match: 'GET /reports/*', maxAttempts: 5 }] })],
      fetch: terminal,
    });
    await fetch('https://api.test/items', { ferrule: { retry: false } });
    expect(seen).toHaveLength(1);
    await fetch('https://api.test/items', { ferrule: { retry: { maxAttempts: 2 } } });
    expect(seen).toHaveLength(3);
    await fetch('https://api.test/reports/1');
    expect(seen).toHaveLength(8);
    await fetch('https://api.test/reports/1', { ferrule: { retry: { backoff: { initialDelayMs: 0 } } } });
    expect(seen).toHaveLength(13);
  });

  it('retries methods it is told to, whatever their case', async () => {
    const { fetch: terminal, seen } = failing();
    const fetch = createFetch({
      use: [retry({ backoff: { initialDelayMs: 0 }, methods: ['patch'] })],
      fetch: terminal,
    });
    await fetch('https://api.test/items/1', { method: 'PATCH', body: 'x' });
    expect(seen).toHaveLength(3);
    await fetch('https://api.test/items/1');
    expect(seen).toHaveLength(4);
  });

  it('rejects wrong options at creation with a ConfigError naming the option', () => {
    const wrong: [unknown, string][] = [
      [{ maxAttempts: 0 }, 'retry.maxAttempts'],
      [{ maxAttempts: 2.5 }, 'retry.maxAttempts'],
      [{ maxAttemps: 3 }, 'retry.maxAttemps'],
      [{ backoff: { jitter: 'wild' } }, 'retry.backoff.jitter'],
      [{ backoff: { initialDelayMs: -1 } }, 'retry.backoff.initialDelayMs'],
      [{ maxDelayMs: Number.NaN }, 'retry.maxDelayMs'],
      [{ maxRetryAfterMs: 1e12 }, 'retry.maxRetryAfterMs'],
      [{ retryOn: [999] }, 'retry.retryOn.0'],
      [{ methods: [1] }, 'retry.methods.0'],
      [{ budget: {} }, 'retry.budget'],
      [{ routes: [{ match: 'GET  /a b c' }] }, 'retry.routes.0.match'],
      [{ routes: [{ match: '/a', budget: false }] }, 'retry.routes.0.budget'],
    ];
    for (const [options, option] of wrong) {
      let caught: unknown;
      try {
        retry(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isConfigError(caught), option).toBe(true);
      expect((caught as { option: string }).option).toBe(option);
    }
  });

  it('rejects wrong per-call options with a ConfigError and sends nothing', async () => {
    const { fetch: terminal, seen } = failing();
    const fetch = createFetch({ use: [retry()], fetch: terminal });
    const failure = fetch('https://api.test/x', { ferrule: { retry: { maxAttempts: -1 } } });
    await expect(failure).rejects.toMatchObject({ code: 'CONFIG', option: 'init.ferrule.retry.maxAttempts' });
    expect(seen).toHaveLength(0);
  });
});
