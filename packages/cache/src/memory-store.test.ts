import { type CacheRecord, createFakeClock } from '@ferrule/core';
import { describeCacheStore } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { memoryCacheStore } from './memory-store.ts';

describeCacheStore('memoryCacheStore', ({ clock }) => memoryCacheStore({ clock }));

// A record that the store counts as exactly `bytes` bytes: body plus twice the key and `{}`.
const sized = (key: string, bytes: number): CacheRecord => ({
  metadata: {},
  body: new Uint8Array(bytes - 2 * (key.length + 2)),
});

describe('memoryCacheStore', () => {
  it('counts bodies, keys and metadata in bytes', async () => {
    const store = memoryCacheStore();
    await store.set('k', { metadata: { a: 1 }, body: new Uint8Array(100) });
    expect(store.sizeBytes).toBe(100 + 2 * (1 + '{"a":1}'.length));
    await store.set('k', { metadata: {}, body: new Uint8Array(10) });
    expect(store.sizeBytes).toBe(10 + 2 * 3);
    await store.delete('k');
    expect(store.sizeBytes).toBe(0);
  });

  it('drops the least recently used records once over maxBytes, bounded by bytes not entries', async () => {
    const store = memoryCacheStore({ maxBytes: 300 });
    await store.set('a', sized('a', 100));
    await store.set('b', sized('b', 100));
    await store.set('c', sized('c', 100));
    expect(await store.get('a')).toBeDefined();
    await store.set('d', sized('d', 100));
    expect(await store.get('b')).toBeUndefined();
    expect([await store.get('a'), await store.get('c'), await store.get('d')].every(Boolean)).toBe(true);
    expect(store.sizeBytes).toBe(300);
    await store.set('big', sized('big', 250));
    expect(store.sizeBytes).toBe(250);
    expect(await store.get('d')).toBeUndefined();
  });

  it('keeps no record larger than maxBytes, and drops the one it replaced', async () => {
    const store = memoryCacheStore({ maxBytes: 100 });
    await store.set('k', sized('k', 50));
    await store.set('k', sized('k', 101));
    expect(await store.get('k')).toBeUndefined();
    expect(store.sizeBytes).toBe(0);
  });

  it('gives back the bytes of an expired record when it is read', async () => {
    const clock = createFakeClock(0);
    const store = memoryCacheStore({ clock });
    await store.set('k', sized('k', 100), { ttlMs: 10 });
    await clock.advance(10);
    expect(await store.get('k')).toBeUndefined();
    expect(store.sizeBytes).toBe(0);
  });
});

describe('memoryCacheStore lock', () => {
  it('lets one holder take a key until it releases it or the lock time runs out', async () => {
    const clock = createFakeClock(0);
    const store = memoryCacheStore({ clock });
    expect(await store.acquire('k', 1_000)).toBe(true);
    expect(await store.acquire('k', 1_000)).toBe(false);
    await store.release('k');
    expect(await store.acquire('k', 1_000)).toBe(true);
    await clock.advance(999);
    expect(await store.acquire('k', 1_000)).toBe(false);
    await clock.advance(1);
    expect(await store.acquire('k', 1_000)).toBe(true);
  });
});
