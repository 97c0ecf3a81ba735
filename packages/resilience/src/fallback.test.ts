import { createFetch, isConfigError } from '@ferrule/core';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { recordEvents, recordingFetch } from '../test/helpers.ts';
import { fallback } from './fallback.ts';
import type { Outcome } from './outcome.ts';

describe('fallback over real HTTP', () => {
  it('answers for a 503 and a reset connection, and passes good answers and 404s through', async () => {
    const server = await createTestServer({
      'GET /down': { status: 503, body: 'down' },
      'GET /reset': { reset: true },
      'GET /missing': { status: 404 },
      'GET /ok': { json: { fresh: true } },
    });
    const told: Outcome[] = [];
    const recorded = recordEvents();
    const fetch = createFetch({
      use: [
        fallback((state) => {
          told.push(state);
          return Response.json({ fresh: false });
        }),
      ],
      onEvent: recorded.onEvent,
    });
    expect(await (await fetch(`${server.url}/down`)).json()).toEqual({ fresh: false });
    expect(await (await fetch(`${server.url}/reset`)).json()).toEqual({ fresh: false });
    expect((await fetch(`${server.url}/missing`)).status).toBe(404);
    expect(await (await fetch(`${server.url}/ok`)).json()).toEqual({ fresh: true });
    expect(told.map(({ response, error }) => response?.status ?? (error as Error).name)).toEqual([503, 'TypeError']);
    expect(recorded.of('fallback')).toEqual([{ reason: 'status' }, { reason: 'network' }]);
  });

  it('never answers for a call the caller aborted', async () => {
    const server = await createTestServer({ 'GET /slow': { delayMs: 5_000 } });
    let called = false;
    const fetch = createFetch({
      use: [
        fallback(() => {
          called = true;
          return new Response('stale');
        }),
      ],
    });
    const controller = new AbortController();
    const pending = fetch(`${server.url}/slow`, { signal: controller.signal });
    await waitUntil(() => server.requests.length === 1);
    controller.abort(new Error('user left'));
    await expect(pending).rejects.toThrow('user left');
    expect(called).toBe(false);
  });

  it('lets a predicate choose what it replaces', async () => {
    const { fetch: next } = recordingFetch(
      (_request, index) => new Response(null, { status: [409, 503][index] ?? 200 }),
    );
    const fetch = createFetch({
      use: [fallback(() => new Response('replaced'), { on: ({ response }) => response?.status === 409 })],
      fetch: next,
    });
    expect(await (await fetch('https://api.test/a')).text()).toBe('replaced');
    expect((await fetch('https://api.test/a')).status).toBe(503);
  });

  it('rejects a handler that is not a function or does not return a Response', async () => {
    expect(() => fallback('stale' as never)).toThrow(expect.objectContaining({ option: 'fallback.handler' }));
    expect(() => fallback(() => new Response(), { on: 'always' as never })).toThrow(
      expect.objectContaining({ option: 'fallback.on' }),
    );
    const { fetch: next } = recordingFetch(() => new Response(null, { status: 500 }));
    const fetch = createFetch({ use: [fallback(() => ({ items: [] }) as never)], fetch: next });
    const error = await fetch('https://api.test/a').catch((caught: unknown) => caught);
    expect(isConfigError(error)).toBe(true);
  });
});
