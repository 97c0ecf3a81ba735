import { createTestServer, type ResponseSpec, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, httpDate } from './cache.test-helper.ts';
import type { CacheOptions } from './options.ts';
import { cacheStatus } from './stored-response.ts';

describe('stale-while-revalidate (RFC 5861 §3)', () => {
  const setup = async (cacheControl: string, options: CacheOptions = {}) => {
    const tools = client(options);
    const server = await createTestServer({
      'GET /feed': (_request, { count }): ResponseSpec => ({
        body: `feed ${count}`,
        headers: { date: httpDate(tools.clock), 'cache-control': cacheControl },
      }),
    });
    await (await tools.fetch(`${server.url}/feed`)).text();
    await tools.stored();
    const get = async () => {
      const response = await tools.fetch(`${server.url}/feed`);
      return [cacheStatus(response), await response.text()];
    };
    return { ...tools, server, get };
  };

  it('answers stale at once and revalidates once in the background', async () => {
    const { clock, get, server, stored } = await setup('max-age=10, stale-while-revalidate=60');
    await clock.advance(10_000);
    expect(await get()).toEqual(['stale', 'feed 1']);
    expect(await get()).toEqual(['stale', 'feed 1']);
    await stored(2);
    expect(await get()).toEqual(['hit', 'feed 2']);
    expect(server.requests).toHaveLength(2);
  });

  it('stops answering stale when the window closes', async () => {
    const inside = await setup('max-age=10, stale-while-revalidate=60');
    await inside.clock.advance(69_999);
    expect(await inside.get()).toEqual(['stale', 'feed 1']);
    const outside = await setup('max-age=10, stale-while-revalidate=60');
    await outside.clock.advance(70_000);
    expect(await outside.get()).toEqual(['miss', 'feed 2']);
  });

  it('uses the staleWhileRevalidateMs option for responses that set no window', async () => {
    const inside = await setup('max-age=10', { staleWhileRevalidateMs: 5_000 });
    await inside.clock.advance(14_999);
    expect((await inside.get())[0]).toBe('stale');
    const outside = await setup('max-age=10', { staleWhileRevalidateMs: 5_000 });
    await outside.clock.advance(15_000);
    expect((await outside.get())[0]).toBe('miss');
  });

  it('never answers stale for must-revalidate or no-cache responses', async () => {
    for (const cacheControl of [
      'max-age=10, must-revalidate, stale-while-revalidate=60',
      'no-cache, stale-while-revalidate=60',
    ]) {
      const { clock, get } = await setup(cacheControl, { staleWhileRevalidateMs: 60_000 });
      await clock.advance(10_000);
      expect((await get())[0]).toBe('miss');
    }
  });
});

describe('stale-if-error (RFC 5861 §4)', () => {
  const setup = async (cacheControl: string, failure: ResponseSpec, options: CacheOptions = {}) => {
    const tools = client(options);
    const server = await createTestServer({
      'GET /price': [
        { body: 'price 1', headers: { date: httpDate(tools.clock), 'cache-control': cacheControl } },
        failure,
      ],
    });
    await (await tools.fetch(`${server.url}/price`)).text();
    await tools.stored();
    const get = async (init?: RequestInit) => {
      const response = await tools.fetch(`${server.url}/price`, init);
      return [cacheStatus(response), response.status, await response.text()];
    };
    return { ...tools, server, get };
  };

  it.each([500, 502, 503, 504])('answers stale when the origin answers %i inside the window', async (status) => {
    const { clock, get } = await setup('max-age=10, stale-if-error=60', { status, body: 'down' });
    await clock.advance(69_999);
    expect(await get()).toEqual(['stale', 200, 'price 1']);
  });

  it('answers stale when the origin cannot be reached', async () => {
    const { clock, get } = await setup('max-age=10, stale-if-error=60', { reset: true });
    await clock.advance(10_000);
    expect(await get()).toEqual(['stale', 200, 'price 1']);
  });

  it('passes the error on once the window has closed, and for other statuses', async () => {
    const { clock, get } = await setup('max-age=10, stale-if-error=60', { status: 500, body: 'down' });
    await clock.advance(70_000);
    expect(await get()).toEqual(['miss', 500, 'down']);
    const other = await setup('max-age=10, stale-if-error=60', { status: 501, body: 'nope' });
    await other.clock.advance(10_000);
    expect(await other.get()).toEqual(['miss', 501, 'nope']);
  });

  it('takes the window from the request first, then the response, then staleIfErrorMs', async () => {
    const fromOption = await setup('max-age=10', { status: 503 }, { staleIfErrorMs: 30_000 });
    await fromOption.clock.advance(39_999);
    expect((await fromOption.get())[0]).toBe('stale');
    const pastOption = await setup('max-age=10', { status: 503 }, { staleIfErrorMs: 30_000 });
    await pastOption.clock.advance(40_000);
    expect((await pastOption.get())[0]).toBe('miss');
    const fromRequest = await setup('max-age=10, stale-if-error=60', { status: 503 });
    await fromRequest.clock.advance(20_000);
    expect((await fromRequest.get({ headers: { 'cache-control': 'stale-if-error=5' } }))[0]).toBe('miss');
  });

  it('never answers stale for must-revalidate, even with a window', async () => {
    const { clock, get } = await setup(
      'max-age=10, must-revalidate, stale-if-error=60',
      { status: 503 },
      { staleIfErrorMs: 60_000 },
    );
    await clock.advance(10_000);
    expect(await get()).toEqual(['miss', 503, '']);
  });

  it('lets a call its caller aborted fail, rather than answer stale', async () => {
    const { clock, fetch, server } = await setup('max-age=10, stale-if-error=60', { delayMs: 5_000 });
    await clock.advance(10_000);
    const controller = new AbortController();
    const pending = fetch(`${server.url}/price`, { signal: controller.signal });
    await waitUntil(() => server.requests.length === 2);
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
  });
});
