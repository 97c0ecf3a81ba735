import { createFetch, isBulkheadRejectedError } from '@ferrule/core';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { recordEvents } from '../test/helpers.ts';
import { bulkhead } from './bulkhead.ts';

// A route that holds each request until the test lets it go.
function gate() {
  const waiting: (() => void)[] = [];
  return {
    handler: () => new Promise<{ status: number }>((resolve) => waiting.push(() => resolve({ status: 200 }))),
    openOne: () => waiting.shift()?.(),
    get waiting() {
      return waiting.length;
    },
  };
}

describe('bulkhead over real HTTP', () => {
  it('runs maxConcurrent calls, queues maxQueued, and rejects past its queue without a request', async () => {
    const held = gate();
    const server = await createTestServer({ 'GET /work': held.handler });
    const recorded = recordEvents();
    const fetch = createFetch({ use: [bulkhead({ maxConcurrent: 1, maxQueued: 1 })], onEvent: recorded.onEvent });
    const first = fetch(`${server.url}/work?n=1`);
    const second = fetch(`${server.url}/work?n=2`);
    const third = await fetch(`${server.url}/work?n=3`).catch((error: unknown) => error);
    expect(isBulkheadRejectedError(third)).toBe(true);
    expect((third as Error).message).toBe(`Bulkhead full (GET ${server.url}/work?n=3)`);
    await waitUntil(() => held.waiting === 1);
    expect(server.requests.map((request) => request.url)).toEqual(['/work?n=1']);

    held.openOne();
    expect((await first).status).toBe(200);
    await waitUntil(() => held.waiting === 1);
    expect(server.requests.map((request) => request.url)).toEqual(['/work?n=1', '/work?n=2']);
    held.openOne();
    expect((await second).status).toBe(200);
    expect(recorded.of('bulkhead')).toEqual([
      { action: 'queued', active: 1, queued: 1 },
      { action: 'rejected', active: 1, queued: 1 },
    ]);
  });

  it('lets a call aborted while it waits leave the queue at once, freeing its place', async () => {
    const held = gate();
    const server = await createTestServer({ 'GET /work': held.handler });
    const fetch = createFetch({ use: [bulkhead({ maxConcurrent: 1, maxQueued: 1 })] });
    const first = fetch(`${server.url}/work?n=1`);
    const controller = new AbortController();
    const waiting = fetch(`${server.url}/work?n=2`, { signal: controller.signal });
    controller.abort(new Error('user left'));
    await expect(waiting).rejects.toThrow('user left');
    const third = fetch(`${server.url}/work?n=3`);
    await waitUntil(() => held.waiting === 1);
    held.openOne();
    await first;
    await waitUntil(() => held.waiting === 1);
    held.openOne();
    expect((await third).status).toBe(200);
    expect(server.requests.map((request) => request.url)).toEqual(['/work?n=1', '/work?n=3']);
  });

  it('frees the place of a call that failed', async () => {
    const server = await createTestServer({ 'GET /reset': { reset: true }, 'GET /ok': { status: 204 } });
    const fetch = createFetch({ use: [bulkhead({ maxConcurrent: 1 })] });
    await expect(fetch(`${server.url}/reset`)).rejects.toThrow(TypeError);
    expect((await fetch(`${server.url}/ok`)).status).toBe(204);
  });
});

describe('bulkhead options', () => {
  it('rejects wrong options with a ConfigError naming the option', () => {
    for (const [options, option] of [
      [{ maxConcurrent: 0 }, 'bulkhead.maxConcurrent'],
      [{ maxConcurrent: 1.5 }, 'bulkhead.maxConcurrent'],
      [{ maxQueued: -1 }, 'bulkhead.maxQueued'],
      [{ queue: 1 }, 'bulkhead.queue'],
    ] as const) {
      expect(() => bulkhead(options as never)).toThrow(expect.objectContaining({ code: 'CONFIG', option }));
    }
  });
});
