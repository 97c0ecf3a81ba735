import { type CacheStore, createFakeClock, createFetch, type FerruleEvent, StoreError } from '@ferrule/core';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, START_MS } from './cache.test-helper.ts';
import { cache } from './cache.ts';
import { memoryCacheStore } from './memory-store.ts';
import { cacheStatus } from './stored-response.ts';

const encoder = new TextEncoder();

/** A response body the test writes chunk by chunk. */
function pushed() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(started) {
      controller = started;
    },
  });
  return { body, push: (text: string) => controller.enqueue(encoder.encode(text)), end: () => controller.close() };
}

describe('streaming while storing', () => {
  it('streams the body to the caller as it arrives and stores it once complete, from one network read', async () => {
    const { fetch, stored, store } = client();
    const stream = pushed();
    const server = await createTestServer({
      'GET /stream': () => new Response(stream.body, { headers: { 'cache-control': 'max-age=60' } }),
    });
    // Node sends the head with the first chunk.
    stream.push('first ');
    const response = await fetch(`${server.url}/stream`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first ');
    expect(store.sizeBytes).toBe(0);
    stream.push('second');
    stream.end();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('second');
    await stored();
    const hit = await fetch(`${server.url}/stream`);
    expect([cacheStatus(hit), await hit.text()]).toEqual(['hit', 'first second']);
    expect(server.requests).toHaveLength(1);
  });

  it('stores the response even when the caller never reads or cancels the body', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({
      'GET /unread': { body: 'unread', headers: { 'cache-control': 'max-age=60' } },
      'GET /cancelled': { chunks: ['a', 'b', 'c'], headers: { 'cache-control': 'max-age=60' } },
    });
    await fetch(`${server.url}/unread`);
    await (await fetch(`${server.url}/cancelled`)).body?.cancel();
    await stored(2);
    expect(await (await fetch(`${server.url}/unread`)).text()).toBe('unread');
    expect(await (await fetch(`${server.url}/cancelled`)).text()).toBe('abc');
    expect(server.requests).toHaveLength(2);
  });
});

describe('maxEntryBytes', () => {
  it('passes a response whose Content-Length is too large straight through', async () => {
    const { fetch, events } = client({ maxEntryBytes: 10 });
    const server = await createTestServer({
      'GET /big': { body: 'x'.repeat(11), headers: { 'cache-control': 'max-age=60' } },
    });
    const response = await fetch(`${server.url}/big`);
    expect([cacheStatus(response), await response.text()]).toEqual(['miss', 'x'.repeat(11)]);
    expect(events.find((event) => event.type === 'cache')).toMatchObject({ status: 'miss', reason: 'too-large' });
    await (await fetch(`${server.url}/big`)).text();
    expect(server.requests).toHaveLength(2);
  });

  it('gives the caller every byte of a streamed body that turns out too large, and stores none of it', async () => {
    const { fetch, store } = client({ maxEntryBytes: 10 });
    const server = await createTestServer({
      'GET /big': { chunks: ['12345678', '12345678', '12345678'], headers: { 'cache-control': 'max-age=60' } },
    });
    expect(await (await fetch(`${server.url}/big`)).text()).toBe('12345678'.repeat(3));
    expect(await (await fetch(`${server.url}/big`)).text()).toBe('12345678'.repeat(3));
    expect(server.requests).toHaveLength(2);
    expect(store.sizeBytes).toBe(0);
  });

  it('stores a body of exactly maxEntryBytes', async () => {
    const { fetch, stored } = client({ maxEntryBytes: 10 });
    const server = await createTestServer({
      'GET /fits': { chunks: ['12345', '67890'], headers: { 'cache-control': 'max-age=60' } },
    });
    await (await fetch(`${server.url}/fits`)).text();
    await stored();
    expect(cacheStatus(await fetch(`${server.url}/fits`))).toBe('hit');
  });
});

describe('a failing store', () => {
  it('passes calls through while the store fails, says so once, and recovers with it', async () => {
    const clock = createFakeClock(START_MS);
    const memory = memoryCacheStore({ clock });
    let broken = false;
    const check = () => {
      if (broken) throw new StoreError('store down');
    };
    const store: CacheStore & { name: string } = {
      name: 'flaky',
      get: async (key) => {
        check();
        return memory.get(key);
      },
      set: async (key, record, options) => {
        check();
        await memory.set(key, record, options);
      },
      delete: async (key) => {
        check();
        await memory.delete(key);
      },
    };
    const events: FerruleEvent[] = [];
    // No dedupe: each call here must show the store's state on its own.
    const fetch = createFetch({
      use: [cache({ store, dedupe: false })],
      clock,
      onEvent: (event) => events.push(event),
    });
    const server = await createTestServer({
      'GET /doc': (_request, { count }) => ({ body: `doc ${count}`, headers: { 'cache-control': 'max-age=60' } }),
    });
    broken = true;
    expect(await (await fetch(`${server.url}/doc`)).text()).toBe('doc 1');
    expect(await (await fetch(`${server.url}/doc`)).text()).toBe('doc 2');
    const storeEvents = () =>
      events
        .filter((event) => event.type === 'store')
        .map((event) => event.type === 'store' && [event.store, event.action]);
    expect(storeEvents()).toEqual([['flaky', 'unavailable']]);
    expect(
      events.some((event) => event.type === 'cache' && event.status === 'error' && event.reason === 'StoreError'),
    ).toBe(true);
    broken = false;
    expect(await (await fetch(`${server.url}/doc`)).text()).toBe('doc 3');
    expect(storeEvents()).toEqual([
      ['flaky', 'unavailable'],
      ['flaky', 'recovered'],
    ]);
    await waitUntil(() => events.some((event) => event.type === 'cache' && event.status === 'stored'));
    const hit = await fetch(`${server.url}/doc`);
    expect([cacheStatus(hit), await hit.text()]).toEqual(['hit', 'doc 3']);
  });

  it('treats records it cannot read as a miss', async () => {
    const { fetch, store, keys } = client();
    const server = await createTestServer({ 'GET /doc': { body: 'doc', headers: { 'cache-control': 'max-age=60' } } });
    await (await fetch(`${server.url}/doc`)).text();
    await waitUntil(() => keys.length === 2);
    // Every record the cache wrote, replaced by something else.
    for (const key of keys)
      await store.set(key, { metadata: { status: 'garbage', headers: 'nope', vary: 'x' }, body: new Uint8Array() });
    const response = await fetch(`${server.url}/doc`);
    expect([cacheStatus(response), await response.text()]).toEqual(['miss', 'doc']);
    await waitUntil(() => keys.length === 4);
    // Only the response record replaced, by a record of another shape.
    await store.set(keys[2] as string, { metadata: { vary: [] }, body: new Uint8Array() });
    const again = await fetch(`${server.url}/doc`);
    expect([cacheStatus(again), await again.text()]).toEqual(['miss', 'doc']);
  });
});
