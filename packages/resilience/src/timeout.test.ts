import { createFakeClock, createFetch, isConfigError, isTimeoutError } from '@ferrule/core';
import { createTestServer, waitForSleepers, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { recordEvents, recordingFetch } from '../test/helpers.ts';
import { timeout } from './timeout.ts';

describe('timeout over real HTTP', () => {
  it('aborts an attempt after attemptMs, and the server sees the client go away', async () => {
    const server = await createTestServer({ 'GET /slow': { delayMs: 10_000, json: {} } });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({ use: [timeout({ attemptMs: 1_000 })], clock, onEvent: recorded.onEvent });
    const pending = fetch(`${server.url}/slow`);
    pending.catch(() => {});
    await waitUntil(() => server.requests.length === 1);
    await waitForSleepers(clock);
    await clock.advance(999);
    expect(server.requests[0]?.aborted).toBe(false);
    expect(clock.pending).toBe(1);
    await clock.advance(1);
    const error = await pending.catch((caught: unknown) => caught);
    expect(isTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ scope: 'attempt', timeoutMs: 1_000, method: 'GET' });
    expect((error as Error).message).toBe(`Attempt timed out after 1000 ms (GET ${server.url}/slow)`);
    await waitUntil(() => server.requests[0]?.aborted === true);
    expect(recorded.of('timeout')).toEqual([{ scope: 'attempt', timeoutMs: 1_000 }]);
  });

  it('aborts a call whose body stalls once totalMs has passed', async () => {
    const server = await createTestServer({ 'GET /stall': { body: 'abcdefghij', stallAfterBytes: 4 } });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [timeout({ totalMs: 5_000 })], clock });
    const response = await fetch(`${server.url}/stall`);
    expect(response.status).toBe(200);
    const text = response.text();
    text.catch(() => {});
    await clock.advance(4_999);
    expect(clock.pending).toBe(1);
    expect(server.requests[0]?.aborted).toBe(false);
    await clock.advance(1);
    const error = await text.catch((caught: unknown) => caught);
    expect(isTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ scope: 'total', timeoutMs: 5_000 });
    await waitUntil(() => server.requests[0]?.aborted === true);
  });

  it('errors a body being read chunk by chunk when the deadline passes between chunks', async () => {
    const server = await createTestServer({ 'GET /stall': { body: 'abcdefghij', stallAfterBytes: 4 } });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [timeout({ totalMs: 5_000 })], clock });
    const reader = (await fetch(`${server.url}/stall`)).body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toBe('abcd');
    const second = reader?.read();
    second?.catch(() => {});
    await clock.advance(5_000);
    await expect(second).rejects.toMatchObject({ code: 'TIMEOUT', scope: 'total' });
  });

  it('clears the total timer when the body is read to the end', async () => {
    const server = await createTestServer({ 'GET /items': { json: [1, 2, 3] } });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [timeout({ totalMs: 5_000, attemptMs: 1_000 })], clock });
    const response = await fetch(`${server.url}/items`);
    expect(clock.pending).toBe(1);
    expect(await response.json()).toEqual([1, 2, 3]);
    expect(clock.pending).toBe(0);
  });

  it('clears the total timer when the caller cancels the body', async () => {
    const server = await createTestServer({ 'GET /stall': { body: 'abcdefghij', stallAfterBytes: 4 } });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [timeout({ totalMs: 5_000 })], clock });
    const response = await fetch(`${server.url}/stall`);
    await response.body?.cancel();
    expect(clock.pending).toBe(0);
    await waitUntil(() => server.requests[0]?.aborted === true);
  });

  it('never aborts a body read after the headers came within attemptMs', async () => {
    const server = await createTestServer({ 'GET /chunks': { chunks: ['a', 'b', 'c'], chunkDelayMs: 20 } });
    const clock = createFakeClock();
    const fetch = createFetch({ use: [timeout({ attemptMs: 1_000 })], clock });
    const response = await fetch(`${server.url}/chunks`);
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(await response.text()).toBe('abc');
  });

  it('keeps status, headers and url of a response whose body it guards', async () => {
    const server = await createTestServer({
      'GET /old': { status: 302, headers: { location: '/new' } },
      'GET /new': { status: 201, headers: { 'x-id': '7' }, json: { id: 7 } },
    });
    const fetch = createFetch({ use: [timeout({ totalMs: 5_000 })], clock: createFakeClock() });
    const response = await fetch(`${server.url}/old`);
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Created');
    expect(response.headers.get('x-id')).toBe('7');
    expect(response.url).toBe(`${server.url}/new`);
    expect(await response.json()).toEqual({ id: 7 });
  });

  it('passes an abort from the caller to a body being read, and clears the timer', async () => {
    const server = await createTestServer({ 'GET /stall': { body: 'abcdefghij', stallAfterBytes: 4 } });
    const clock = createFakeClock();
    const controller = new AbortController();
    const fetch = createFetch({ use: [timeout({ totalMs: 5_000 })], clock });
    const response = await fetch(`${server.url}/stall`, { signal: controller.signal });
    const text = response.text();
    text.catch(() => {});
    controller.abort(new Error('user left'));
    await expect(text).rejects.toThrow('user left');
    expect(clock.pending).toBe(0);
  });
});

describe('timeout options', () => {
  it('takes per-call timeouts and route rules; false and Infinity turn them off', async () => {
    const never = () => new Promise<Response>(() => {});
    const clock = createFakeClock();
    const { fetch: terminal } = recordingFetch(never);
    const fetch = createFetch({
      use: [timeout({ attemptMs: 1_000, routes: [{ match: '/exports/*', attemptMs: 60_000 }] })],
      fetch: terminal,
      clock,
    });
    const expectTimeoutAfter = async (promise: Promise<Response>, ms: number, timers = 1) => {
      promise.catch(() => {});
      await clock.advance(ms - 1);
      expect(clock.pending).toBe(timers);
      await clock.advance(1);
      await expect(promise).rejects.toMatchObject({ code: 'TIMEOUT', timeoutMs: ms });
      expect(clock.pending).toBe(0);
    };
    await expectTimeoutAfter(fetch('https://api.test/items'), 1_000);
    await expectTimeoutAfter(fetch('https://api.test/exports/1'), 60_000);
    await expectTimeoutAfter(fetch('https://api.test/items', { ferrule: { timeout: { attemptMs: 50 } } }), 50);
    await expectTimeoutAfter(fetch('https://api.test/items', { ferrule: { timeout: { totalMs: 70 } } }), 70, 2);
    fetch('https://api.test/items', { ferrule: { timeout: false } });
    fetch('https://api.test/items', { ferrule: { timeout: { attemptMs: Number.POSITIVE_INFINITY } } });
    await Promise.resolve();
    expect(clock.pending).toBe(0);
  });

  it('sends the attempt with a signal that follows the caller', async () => {
    const clock = createFakeClock();
    const { fetch: terminal, seen } = recordingFetch(() => new Response('ok'));
    const controller = new AbortController();
    const fetch = createFetch({ use: [timeout({ attemptMs: 1_000 })], fetch: terminal, clock });
    await fetch('https://api.test/items', { signal: controller.signal });
    const signal = seen[0]?.signal;
    expect(signal?.aborted).toBe(false);
    controller.abort(new Error('later'));
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toEqual(new Error('later'));
  });

  it('rejects wrong timeouts at creation and per call with a ConfigError', async () => {
    for (const options of [
      { totalMs: 0 },
      { attemptMs: -5 },
      { attemptMs: Number.NaN },
      { totalMs: 2 ** 31 },
      { totalMS: 100 },
      { routes: [{ match: 42 }] },
    ]) {
      expect(() => timeout(options as never)).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    }
    const fetch = createFetch({ use: [timeout()], fetch: recordingFetch(() => new Response()).fetch });
    const error = await fetch('https://api.test/', { ferrule: { timeout: { totalMs: '5s' as never } } }).catch(
      (caught: unknown) => caught,
    );
    expect(isConfigError(error)).toBe(true);
    expect(error).toMatchObject({ option: 'init.ferrule.timeout.totalMs' });
  });

  it('rejects a wrong per-call timeout instead of throwing, even when called directly by another layer', async () => {
    const layer = timeout({ attemptMs: 1_000 });
    const context = {
      signal: new AbortController().signal,
      attempt: 1,
      options: { timeout: { attemptMs: -1 } },
      clock: createFakeClock(),
      emit() {},
    };
    let sent = 0;
    const result = layer(new Request('https://api.test/'), context, async () => {
      sent++;
      return new Response();
    });
    expect(result).toBeInstanceOf(Promise);
    const error = await result.catch((caught: unknown) => caught);
    expect(isConfigError(error)).toBe(true);
    expect(sent).toBe(0);
  });
});
